import Foundation

/// A learning rate as a function of the optimizer step (0-based: the rate for the first update is
/// `learningRate(at: 0)`). Apply it with `optimizer.learningRate = schedule.learningRate(at: step)`.
public protocol LearningRateSchedule {
    func learningRate(at step: Int) -> Float
}

/// The same learning rate at every step.
public struct ConstantSchedule: LearningRateSchedule {
    public let baseLearningRate: Float

    public init(_ learningRate: Float) { baseLearningRate = learningRate }

    public func learningRate(at step: Int) -> Float { baseLearningRate }
}

/// Linear warmup from 0 to `baseLearningRate` over `warmupSteps`, then a half cosine down to
/// `minLearningRate` at `totalSteps`, constant after (Hugging Face's cosine-with-warmup, with a floor):
/// `base·s/warmup` for `s < warmup`, else `min + (base − min)·½(1 + cos(π·p))`,
/// `p = min(1, (s − warmup)/(total − warmup))`. Computed in Float64.
public struct WarmupCosineSchedule: LearningRateSchedule {
    public let baseLearningRate: Float
    public let warmupSteps: Int
    public let totalSteps: Int
    public let minLearningRate: Float

    public init(baseLearningRate: Float, warmupSteps: Int, totalSteps: Int, minLearningRate: Float = 0) {
        precondition(warmupSteps >= 0 && totalSteps >= warmupSteps,
                     "WarmupCosineSchedule: need 0 ≤ warmupSteps (\(warmupSteps)) ≤ totalSteps (\(totalSteps))")
        self.baseLearningRate = baseLearningRate
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
        self.minLearningRate = minLearningRate
    }

    public func learningRate(at step: Int) -> Float {
        let base = Double(baseLearningRate), floor = Double(minLearningRate)
        if step < warmupSteps { return Float(base * Double(max(step, 0)) / Double(warmupSteps)) }
        let progress = min(1, Double(step - warmupSteps) / Double(max(1, totalSteps - warmupSteps)))
        return Float(floor + (base - floor) * 0.5 * (1 + Foundation.cos(Double.pi * progress)))
    }
}
