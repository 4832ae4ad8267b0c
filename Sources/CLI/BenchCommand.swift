import ArgumentParser

/// `crossmodal bench …`: benchmark programs (release build) that print figures, never assertions.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks (build with -c release; `make bench`).",
        subcommands: [OpsBench.self, SeedBench.self, MiniLMBench.self, EfficientNetBench.self, FeatureCacheBench.self, DataBench.self, RetrievalBench.self, ServeBench.self, DistributedBench.self])
}
