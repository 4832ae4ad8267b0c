import Tensors

/// Batch normalisation over the channels of NCHW input (torch.nn.BatchNorm2d) with PyTorch's keys:
/// parameters `weight` (ones) and `bias` (zeros), buffers `running_mean` (zeros), `running_var` (ones) and
/// `num_batches_tracked` (a [] tensor counting training batches). Training mode normalises with batch
/// statistics and updates the running buffers in place; evaluation mode uses the running statistics.
/// `momentum` nil makes the running statistics the cumulative average of every batch seen since they were
/// reset, as PyTorch's `momentum=None` (see `recomputeBatchNormStatistics`).
public final class BatchNorm2d: Module {
    public let weight: Tensor
    public let bias: Tensor
    public let runningMean: Tensor
    public let runningVar: Tensor
    public let numBatchesTracked: Tensor
    public let eps: Float
    public var momentum: Float?

    public init(_ channels: Int, eps: Float = 1e-5, momentum: Float? = 0.1) {
        weight = Tensor(shape: [channels], repeating: 1)
        bias = Tensor(zeros: [channels])
        runningMean = Tensor(zeros: [channels])
        runningVar = Tensor(shape: [channels], repeating: 1)
        numBatchesTracked = Tensor(zeros: [])
        (self.eps, self.momentum) = (eps, momentum)
        super.init()
        register(parameter: "weight", weight)
        register(parameter: "bias", bias)
        register(buffer: "running_mean", runningMean)
        register(buffer: "running_var", runningVar)
        register(buffer: "num_batches_tracked", numBatchesTracked)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        if isTraining { numBatchesTracked.mutableData[0] += 1 }
        return batchNorm2d(x, weight: weight, bias: bias, runningMean: runningMean, runningVar: runningVar,
                           training: isTraining, momentum: momentum ?? 1 / max(numBatchesTracked.item, 1), eps: eps)
    }

    /// Running statistics back to their initial values (mean 0, variance 1, no batches tracked).
    public func resetRunningStatistics() {
        runningMean.assign(Tensor(zeros: runningMean.shape))
        runningVar.assign(Tensor(shape: runningVar.shape, repeating: 1))
        numBatchesTracked.assign(Tensor(zeros: []))
    }
}

extension BatchNorm2d: UnaryLayer {}
