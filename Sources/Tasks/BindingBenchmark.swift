import CrossModal
import NN
import Optim
import Tensors

/// Trains a fusion model on `BindingTask` and measures its accuracy on held-out questions — the check that a
/// model binds words to regions (used by `crossmodal demo` and the end-to-end tests).
public struct BindingBenchmark {
    public var task = BindingTask()
    public var steps = 3000
    public var batchSize = 64
    public var learningRate: Float = 2e-3
    public var testSize = 1000
    public var seed: UInt64 = 0

    public init() {}

    /// Loss after each step and the final test accuracy; `onStep(step, loss)` reports progress.
    public func run(_ model: some FusionModel, onStep: (Int, Float) -> Void = { _, _ in }) throws -> (losses: [Float], accuracy: Double) {
        let optimizer = AdamW(parameters: model, learningRate: learningRate, weightDecay: 0.01)
        let schedule = WarmupCosineSchedule(baseLearningRate: learningRate, warmupSteps: steps / 10, totalSteps: steps)
        var data = RandomGenerator(seed: seed)
        var losses: [Float] = []
        model.train()
        for step in 0..<steps {
            let (batch, labels) = task.batch(size: batchSize, using: &data)
            var (loss, grads) = try valueAndGrad(model) { m in crossEntropy(try m(batch), targets: labels) }
            try clipGradNorm(&grads, maxNorm: 1.0)
            optimizer.learningRate = schedule.learningRate(at: step)
            optimizer.step(grads)
            losses.append(loss.item)
            onStep(step, loss.item)
        }
        return (losses, try accuracy(model))
    }

    /// Fraction of `testSize` held-out questions answered correctly (eval mode, no tape).
    public func accuracy(_ model: some FusionModel) throws -> Double {
        model.eval()
        defer { model.train() }
        var test = RandomGenerator(seed: seed &+ 0x5EED)
        let (batch, labels) = task.batch(size: testSize, using: &test)
        let logits = try Tape.withoutRecording { try model(batch) }
        let predictions = (0..<testSize).map { logits.data[2 * $0 + 1] > logits.data[2 * $0] ? 1 : 0 }
        return Double(zip(predictions, labels).filter { $0 == $1 }.count) / Double(testSize)
    }
}
