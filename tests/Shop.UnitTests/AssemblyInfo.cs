// Some of these tests start a small in-process server or time a retry; one at a time keeps them steady on 2 cores.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
