namespace Llama;

public static class Probe
{
    public static float Sum() => TorchSharp.torch.ones(3, 3).sum().item<float>();
}
