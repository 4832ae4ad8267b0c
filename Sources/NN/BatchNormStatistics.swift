import Tensors

/// "Precise BatchNorm": recomputes the running statistics of every `BatchNorm2d` in `model` as the plain
/// average over the batches that `forward` runs (`batches` calls, in training mode, with the current weights
/// and nothing recorded), instead of the exponential average accumulated while the weights were moving.
/// Evaluation then normalises with statistics of the model being evaluated. Momentum and mode are restored.
public func recomputeBatchNormStatistics(_ model: Module, batches: Int, _ forward: (Int) throws -> Void) rethrows {
    let norms = model.namedModules().compactMap { $0.module as? BatchNorm2d }
    guard !norms.isEmpty, batches > 0 else { return }
    let wasTraining = model.isTraining
    let momenta = norms.map(\.momentum)
    defer {
        for (norm, momentum) in zip(norms, momenta) { norm.momentum = momentum }
        model.train(wasTraining)
    }
    for norm in norms {
        norm.resetRunningStatistics()
        norm.momentum = nil
    }
    model.train()
    try Tape.withoutRecording {
        for i in 0..<batches { try forward(i) }
    }
}
