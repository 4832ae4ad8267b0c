import ArgumentParser

/// The `crossmodal` command-line tool.
@main
struct CrossModalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crossmodal",
        abstract: "Image–text cross-modal fusion models on a Swift tensor engine.",
        subcommands: [DemoCommand.self, TrainCommand.self, EvalCommand.self, PredictCommand.self, ServeCommand.self, BenchCommand.self, SortOfCLEVRCommand.self, EmbedTextCommand.self, EmbedImagesCommand.self, FashionScenesCommand.self])
}
