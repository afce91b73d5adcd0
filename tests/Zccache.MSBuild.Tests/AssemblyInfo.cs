// The environment tests set and read this process's variables, which every test shares: one test at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
