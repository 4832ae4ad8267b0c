import Foundation

/// Why training stopped or its files could not be used; each case says what happened and what to try.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    /// `consecutive` steps in a row, ending at `step`, had a NaN/Inf loss or gradient norm.
    case diverged(step: Int, consecutive: Int, lastCheckpoint: URL?)
    /// A file or directory under the output directory could not be written.
    case unwritable(path: String, reason: String)
    /// A checkpoint directory is incomplete or fails its checksums.
    case corruptCheckpoint(path: String, reason: String)
    /// Checkpoints exist but none of them is valid (each problem listed).
    case noValidCheckpoint(directory: String, problems: [String])
    /// A fresh run would mix with the checkpoints of an earlier run in the same directory.
    case existingCheckpoints(directory: String)

    public var description: String {
        switch self {
        case let .diverged(step, consecutive, lastCheckpoint):
            "training diverged: \(consecutive) consecutive steps up to step \(step) had a NaN/Inf loss or gradient "
                + "norm, even with the learning rate backed off after each; "
                + (lastCheckpoint.map { "the last good checkpoint is \($0.path); " } ?? "no checkpoint was written; ")
                + "lower learning_rate, keep clip_norm on (> 0), add warmup_steps, or check the data for NaN/Inf, "
                + "then resume or restart"
        case let .unwritable(path, reason):
            "cannot write \(path): \(reason); check that output_dir is a writable directory with free space"
        case let .corruptCheckpoint(path, reason):
            "checkpoint \(path) is corrupted: \(reason); it is skipped (delete it, or resume from an older one)"
        case let .noValidCheckpoint(directory, problems):
            "no valid checkpoint in \(directory):\n  " + problems.joined(separator: "\n  ")
                + "\ndelete the corrupted checkpoints to start over, or restore them from a backup"
        case let .existingCheckpoints(directory):
            "\(directory) already holds checkpoints of an earlier run; resume it (Trainer.resume()), or choose "
                + "another output_dir, or delete that directory to start over"
        }
    }
}
