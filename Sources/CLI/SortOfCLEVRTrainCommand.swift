import ArgumentParser
import Foundation
import Tasks

/// `crossmodal sort-of-clevr train`: trains one model, resumable.
struct SortOfCLEVRTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Trains one Sort-of-CLEVR model (checkpoints and metrics.jsonl under --out/<model>/).")

    @Option(help: "Model: \(SortOfCLEVRModel.Kind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var model: SortOfCLEVRModel.Kind = .crossAttention

    @Flag(help: "Continue from the newest valid checkpoint in --out/<model>/.")
    var resume = false

    @OptionGroup var options: SortOfCLEVROptions

    func run() throws {
        let run = try options.experiment().run(model, resume: resume)
        print(SortOfCLEVRReport.table([run]))
    }
}

extension SortOfCLEVRModel.Kind: ExpressibleByArgument {}
