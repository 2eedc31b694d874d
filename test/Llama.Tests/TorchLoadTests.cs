namespace Llama.Tests;

public class TorchLoadTests
{
    [Fact]
    public void TorchSharp_native_library_loads_on_this_host()
    {
        Assert.Equal(9f, Probe.Sum());
    }
}
