// Every test runs whole clusters of silos on a small machine: one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
