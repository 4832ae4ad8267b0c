import ArgumentParser
import CrossModal
import Foundation
import Tasks
import Tensors

/// `crossmodal demo`: the main job on built-in defaults.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Trains cross-attention and concat fusion on a task that needs word–region binding, printing the falling loss.",
        discussion: """
            Each question asks whether a ⟨colour⟩ ⟨shape⟩ is among an image's regions; wrong answers always show the
            colour and the shape on different regions. Cross-attention can bind them; pooled concatenation cannot.
            """)

    @Option(help: "Training steps per model.")
    var steps = 3000

    @Option(help: "Questions per batch.")
    var batchSize = 64

    @Option(help: "Peak learning rate (AdamW, linear warm-up then cosine).")
    var learningRate: Float = 2e-3

    @Option(help: "Fusion width.")
    var width = 32

    @Option(help: "Colours and shapes in the binding task (each).")
    var kinds = 4

    @Option(help: "Regions per image.")
    var regions = 6

    @Option(help: "Attention heads.")
    var heads = 4

    @Option(help: "Print the loss every this many steps.")
    var logEvery = 25

    @Option(help: "Random seed for weights and data.")
    var seed: UInt64 = 0

    func run() throws {
        var bench = BindingBenchmark()
        bench.steps = steps
        bench.batchSize = batchSize
        bench.learningRate = learningRate
        bench.seed = seed
        bench.task.colors = kinds
        bench.task.shapes = kinds
        bench.task.regions = regions
        let d = bench.task.featureDim
        print("Binding task: \(bench.task.regions) regions, \(bench.task.colors) colours × \(bench.task.shapes) shapes; \(steps) steps of \(batchSize)")
        var rows: [(String, Double, Float, Double, Int)] = []
        let models: [(String, () -> any FusionModel)] = [
            ("cross-attention", { CrossAttentionFusion(visualDim: d, textDim: d, width: width, heads: heads, dropout: 0, hidden: [width], classes: 2) }),
            ("concat + MLP", { ConcatFusion(visualDim: d, textDim: d, width: width, hidden: [width], classes: 2) }),
        ]
        for (name, make) in models {
            Random.seed(seed)
            let model = make()
            print("\n\(name) (\(model.parameterCount) parameters)")
            let start = Date()
            let result = try bench.run(model) { step, loss in
                if step % logEvery == 0 || step == steps - 1 { print(String(format: "  step %4d  loss %.4f", step, loss)) }
            }
            rows.append((name, result.accuracy, result.losses.suffix(20).reduce(0, +) / 20, Date().timeIntervalSince(start), model.parameterCount))
        }
        print("\nmodel             test accuracy   final loss   time")
        for (name, acc, loss, time, _) in rows {
            print(String(format: "%-16@  %12.1f%%   %10.4f   %5.1f s", name.padding(toLength: 16, withPad: " ", startingAt: 0) as NSString, 100 * acc, loss, time))
        }
    }
}
