namespace LlamaOrleans.Testing;

/// <summary>Waiting for silos to register the models they host, which they do shortly after they start.</summary>
public static class ModelHosts
{
    /// <summary>
    /// Returns once the model registry lists <paramref name="count"/> hosts of <paramref name="model"/>, or after
    /// <paramref name="timeout"/> (a test then meets the missing host itself, with a message of its own).
    /// </summary>
    public static async Task WaitAsync(IGrainFactory grains, string model, int count, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(grains);
        var registry = grains.GetGrain<IModelRegistryGrain>(0);
        var deadline = DateTime.UtcNow + timeout;
        while ((await registry.GetHosts(model)).Length < count && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }
    }
}
