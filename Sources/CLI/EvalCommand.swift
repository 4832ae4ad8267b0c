import ArgumentParser
import Foundation
import OwnData

/// `crossmodal eval`: evaluates a trained model bundle on a manifest.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluates a model bundle on a manifest: accuracy per label and group, or retrieval R@1/5/10 both ways.")

    @Option(help: "The run directory written by `crossmodal train`.")
    var model: String

    @Option(help: "Test manifest (.jsonl or .csv).")
    var data: String

    @Flag(help: "Skip (and count) examples whose image cannot be read instead of stopping.")
    var skipBad = false

    func run() throws {
        let (bundle, model) = try ModelBundle.load(URL(fileURLWithPath: self.model))
        let log: (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
        let data = try InputPipeline(config: bundle.model, log: log).prepare(try Manifest.load(URL(fileURLWithPath: self.data)), skipBad: skipBad)
        print(EvaluationReport.text(try ImageTextEvaluation(model: model, data: data), config: bundle.model))
    }
}
