import ArgumentParser
import Benchmarks
import Encoders
import Foundation
import Tensors

/// `crossmodal bench efficientnet`: EfficientNet-Lite0 inference with BatchNorm kept (the module in eval mode)
/// and folded into the convolutions, interleaved run by run so both see the same machine load.
struct EfficientNetBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "efficientnet",
        abstract: "EfficientNet-Lite0 images/s at 224 px: BatchNorm module vs folded, interleaved.")

    @Option(help: "Images per batch.")
    var batchSize = 8

    @Option(help: "Timed runs per variant (median reported).")
    var runs = 5

    func run() throws {
        let model = try EfficientNetLite0.pretrained()
        let folded = model.folded()
        var rng = RandomGenerator(seed: 0)
        let x = Tensor.randn([batchSize, 3, 224, 224], using: &rng)
        _ = Tape.withoutRecording { model(x) }
        _ = folded(x)
        var kept: [Double] = [], fused: [Double] = []
        for _ in 0..<runs {
            kept += Timing.samples(warmups: 0, runs: 1) { _ = Tape.withoutRecording { model(x) } }
            fused += Timing.samples(warmups: 0, runs: 1) { _ = folded(x) }
        }
        let (a, b) = (Timing.median(kept), Timing.median(fused))
        print(String(format: "EfficientNet-Lite0, batch %d, %d cores: BatchNorm kept %.1f ms/image (%.1f images/s), folded %.1f ms/image (%.1f images/s), folded/kept %.2f",
                     batchSize, ProcessInfo.processInfo.activeProcessorCount, a / Double(batchSize), 1000 * Double(batchSize) / a,
                     b / Double(batchSize), 1000 * Double(batchSize) / b, b / a))
    }
}
