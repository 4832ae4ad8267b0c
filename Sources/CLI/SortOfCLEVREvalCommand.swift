import ArgumentParser
import Foundation
import Tasks
import Training

/// `crossmodal sort-of-clevr eval`: evaluates a trained model's checkpoint on the test split.
struct SortOfCLEVREvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluates a checkpoint (default: the newest valid one in --out/<model>/checkpoints) on the test split.")

    @Option(help: "Model: \(SortOfCLEVRModel.Kind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var model: SortOfCLEVRModel.Kind = .crossAttention

    @Option(help: "A checkpoint directory (…/checkpoints/step-000123).")
    var checkpoint: String?

    @OptionGroup var options: SortOfCLEVROptions

    func run() throws {
        var options = self.options
        options.trainImages = 0
        let experiment = try options.experiment()
        let url: URL
        if let checkpoint {
            url = URL(fileURLWithPath: checkpoint)
        } else {
            let store = CheckpointStore(directory: URL(fileURLWithPath: options.out).appendingPathComponent(model.rawValue)
                .appendingPathComponent("checkpoints"), keep: 1)
            guard let found = try store.loadNewestValid(skipped: { print("warning: \($0)") }) else {
                throw CommandError("no checkpoint under \(store.directory.path): train first with `crossmodal sort-of-clevr train --model \(model.rawValue) --out \(options.out)`")
            }
            url = found.url
        }
        let trained = experiment.makeModel(model)
        try trained.loadStateDict(Checkpoint.load(from: url).model)
        trained.recomputeBatchNormStatistics(on: experiment.train)
        let e = try SortOfCLEVREvaluation(model: trained, dataset: experiment.test)
        print("\(model.rawValue) from \(url.path)")
        print(String(format: "relational %.1f%%  non-relational %.1f%%", 100 * e.relational, 100 * e.nonRelational))
        for kind in QuestionKind.allCases {
            print("  " + kind.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0) + String(format: "%5.1f%%", 100 * e.accuracy(of: kind)))
        }
    }
}
