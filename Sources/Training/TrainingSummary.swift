import Foundation

/// What one `Trainer.train` call did.
public struct TrainingSummary: Equatable, Sendable {
    /// Steps completed before this call (the resumed step) and after it.
    public var startStep: Int
    public var endStep: Int
    /// The loss of every step of this call, in order (NaN/Inf on skipped steps).
    public var losses: [Float]
    /// Steps skipped for a non-finite loss or gradient norm.
    public var skippedSteps: Int
    /// The metrics of the last evaluation of this call (empty if none ran).
    public var lastEvaluation: [String: Double]
    /// The checkpoint written at the end.
    public var lastCheckpoint: URL?
    /// Wall-clock training seconds of the whole run so far.
    public var elapsedSeconds: Double
    /// Seconds of this call spent averaging gradients and the loss across ranks under mpirun (waiting for the
    /// slowest rank included; batch norm's reductions inside the passes are not counted); 0 in one process.
    public var allreduceSeconds: Double = 0
}
