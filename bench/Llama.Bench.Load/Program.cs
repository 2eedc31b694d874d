using System.Diagnostics;
using System.Globalization;
using Llama.Bench.Load;
using Llama.Checkpoints;
using LlamaOrleans.Testing.Checkpoints;
using static TorchSharp.torch;

// Peak resident memory while loading every tensor of a checkpoint, against the bound
// "file size + converted tensors + a small constant". Without a path, a synthetic bfloat16 Meta
// checkpoint of --size-mb megabytes (default 1024) is written to a temporary folder first.
LoadBenchOptions options;
try
{
    options = LoadBenchOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(LoadBenchOptions.Usage);
    return 2;
}

if (!OperatingSystem.IsLinux())
{
    Console.Error.WriteLine("Peak RSS is read from /proc/self; this benchmark runs on Linux only.");
    return 2;
}

string? scratch = null;
try
{
    var path = options.Path;
    if (path is null)
    {
        scratch = Directory.CreateTempSubdirectory("llama-load-bench-").FullName;
        var p = LoadBenchOptions.SyntheticFor(options.SizeMegabytes);
        var writing = Stopwatch.StartNew();
        SyntheticMeta.Write(scratch, p);
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"wrote synthetic checkpoint: dim {p.Dim}, {p.Layers} layers, vocab {p.Vocab}, bfloat16, in {writing.Elapsed.TotalSeconds:0.0} s"));
        path = scratch;
    }

    var report = CheckpointInspector.Inspect(path);
    using var checkpoint = CheckpointLoader.Open(path);
    checkpoint.Load(TensorNames.Norm, options.Type, CPU).Dispose();
    GC.Collect();
    GC.WaitForPendingFinalizers();

    var baseline = ProcessMemory.Resident;
    var managedBefore = GC.GetTotalAllocatedBytes(precise: true);
    ProcessMemory.ResetPeak();
    var loading = Stopwatch.StartNew();
    var tensors = checkpoint.TensorNames.Select(n => checkpoint.Load(n, options.Type, CPU)).ToList();
    var seconds = loading.Elapsed.TotalSeconds;
    var growth = ProcessMemory.Peak - baseline;
    var managed = GC.GetTotalAllocatedBytes(precise: true) - managedBefore;
    var converted = tensors.Sum(t => t.numel() * t.element_size());
    tensors.ForEach(t => t.Dispose());

    var bound = report.TotalBytes + converted + LoadBenchOptions.Slack;
    var c = CultureInfo.InvariantCulture;
    Console.WriteLine(report.ToText());
    Console.WriteLine(string.Create(c, $"load as          {options.Type}, {tensors.Count} tensors in {seconds:0.00} s ({report.TotalBytes / seconds / 1e9:0.00} GB/s of checkpoint)"));
    Console.WriteLine(string.Create(c, $"checkpoint       {Mib(report.TotalBytes)}"));
    Console.WriteLine(string.Create(c, $"loaded tensors   {Mib(converted)}"));
    Console.WriteLine(string.Create(c, $"peak RSS growth  {Mib(growth)} (baseline {Mib(baseline)})"));
    Console.WriteLine(string.Create(c, $"bound            {Mib(bound)} = checkpoint + tensors + {Mib(LoadBenchOptions.Slack)}"));
    Console.WriteLine(string.Create(c, $"managed heap     {managed / 1024.0:0} KiB allocated while loading"));
    Console.WriteLine(growth <= bound ? "within bound" : "OVER BOUND");
    return growth <= bound ? 0 : 1;
}
catch (CheckpointException e)
{
    Console.Error.WriteLine(e.Message);
    return 1;
}
finally
{
    if (scratch is not null && !options.Keep)
    {
        Directory.Delete(scratch, recursive: true);
    }
}

static string Mib(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:0.0} MiB");
