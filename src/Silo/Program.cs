using LlamaOrleans.Silo;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

try
{
    using var host = LlamaSiloHost.CreateApplication(args);
    await host.RunAsync();
    return 0;
}
catch (Exception ex) when (ex is SiloConfigurationException or OptionsValidationException)
{
    await Console.Error.WriteLineAsync($"llama-orleans-silo: configuration error: {ex.Message}");
    return 2;
}
