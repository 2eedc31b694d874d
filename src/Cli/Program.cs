System.Console.WriteLine(Llama.Probe.Sum());
