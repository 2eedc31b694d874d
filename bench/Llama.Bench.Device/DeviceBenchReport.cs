namespace Llama.Bench.Device;

/// <summary>The figures of one run, printed as they come so a run cut short still shows what it measured.</summary>
internal sealed class DeviceBenchReport
{
    private readonly List<DeviceFigure> _figures = [];

    public IReadOnlyList<DeviceFigure> Figures => _figures;

    public bool Failed => _figures.Any(f => f.Verdict == "FAIL");

    public void Add(DeviceFigure figure)
    {
        _figures.Add(figure);
        Console.WriteLine(figure.Line());
    }

    public string Tsv() => "verdict\tfigure\tvalue\tunit\trelation\n" + string.Concat(_figures.Select(f => f.TsvLine() + "\n"));
}
