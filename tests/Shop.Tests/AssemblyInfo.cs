// Each booted shop runs a dozen processes; on a 2-core machine two at once only slow each other down.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
