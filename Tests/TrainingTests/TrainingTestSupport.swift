import Foundation
import NN
import Tensors
import Training

/// A tiny regression net with dropout (active in train mode), keys like `nn.Sequential(Linear, ReLU, Dropout, Linear)`.
final class TinyNet: Module {
    let first: Linear
    let dropout = Dropout(0.25)
    let second: Linear

    init(seed: UInt64) {
        Random.seed(seed)
        first = Linear(4, 8)
        second = Linear(8, 1)
        super.init()
        register(module: "0", first)
        register(module: "3", second)
    }

    func callAsFunction(_ x: Tensor) -> Tensor { second(dropout(relu(first(x)))) }
}

/// A batch of `y = Σx − x₀·x₁` regression examples drawn from `data`.
func regressionBatch(_ size: Int, _ data: inout RandomGenerator) -> (x: Tensor, y: Tensor) {
    let x = Tensor.randn([size, 4], using: &data)
    let y = Tensor(uninitialized: [size, 1])
    for i in 0..<size {
        let r = x.data + 4 * i
        y.mutableData[i] = r[0] + r[1] + r[2] + r[3] - r[0] * r[1]
    }
    return (x, y)
}

/// The MSE loss of `model` on the step's batch.
func regressionLoss(batchSize: Int) -> Trainer<TinyNet>.Loss {
    { model, _, data in
        let (x, y) = regressionBatch(batchSize, &data)
        return mseLoss(model(x), y)
    }
}

/// Directories made by `temporaryDirectory`, deleted by `removeTemporaryDirectories`.
nonisolated(unsafe) private var temporaryDirectories: [URL] = []

/// A fresh empty directory under the temporary directory.
func temporaryDirectory(_ name: String) -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("crossmodal-\(name)-\(UUID().uuidString)")
    try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    temporaryDirectories.append(url)
    return url
}

/// Deletes every directory made by `temporaryDirectory` (call from `tearDown`).
func removeTemporaryDirectories() {
    for url in temporaryDirectories { try? FileManager.default.removeItem(at: url) }
    temporaryDirectories.removeAll()
}

/// A small config writing into `dir`.
func smallConfig(_ dir: URL, steps: Int = 12) -> TrainingConfig {
    var c = TrainingConfig()
    c.steps = steps
    c.batchSize = 8
    c.learningRate = 1e-2
    c.minLearningRate = 1e-3
    c.warmupSteps = 2
    c.checkpointEvery = 3
    c.keepCheckpoints = 3
    c.seed = 7
    c.outputDir = dir.path
    return c
}

/// Every parameter's bits, by key.
func weightBits(_ m: Module) -> [String: [UInt32]] {
    m.stateDict().mapValues { $0.scalars.map(\.bitPattern) }
}
