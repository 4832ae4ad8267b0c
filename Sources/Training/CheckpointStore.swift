import Foundation
import Tensors

/// The checkpoint directories of a run, `<directory>/step-000123/`: atomic saves, pruning to the newest
/// `keep`, and loading the newest one that verifies.
public struct CheckpointStore {
    public let directory: URL
    public let keep: Int

    public init(directory: URL, keep: Int) {
        precondition(keep >= 1, "CheckpointStore: keep \(keep) must be ≥ 1")
        self.directory = directory
        self.keep = keep
    }

    /// The directory of the checkpoint after `step` steps.
    public func url(step: Int) -> URL {
        let digits = String(step)
        return directory.appendingPathComponent("step-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits, isDirectory: true)
    }

    /// Every checkpoint directory with its step, newest first (validity not checked).
    public func checkpoints() -> [(step: Int, url: URL)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.compactMap { name -> (step: Int, url: URL)? in
            guard name.hasPrefix("step-"), let step = Int(name.dropFirst(5)), step >= 0 else { return nil }
            return (step, directory.appendingPathComponent(name, isDirectory: true))
        }.sorted { $0.step > $1.step }
    }

    /// Writes a checkpoint atomically, then deletes all but the newest `keep`. Returns its directory.
    /// An old checkpoint is first renamed to a temporary name, so a crash while deleting it never leaves a
    /// half-deleted `step-*` directory behind.
    @discardableResult
    public func save(model: [String: Tensor], optimizer: [String: Tensor], state: TrainerState) throws -> URL {
        AtomicDirectory.removeLeftovers(in: directory)
        let destination = url(step: state.step)
        try AtomicDirectory.write(Checkpoint.files(model: model, optimizer: optimizer, state: state), to: destination)
        for old in checkpoints().dropFirst(keep) { AtomicDirectory.remove(old.url) }
        return destination
    }

    /// The newest checkpoint that verifies, passing each one skipped to `skipped`; nil if there are none.
    /// Throws `TrainingError.noValidCheckpoint` when checkpoints exist but none verifies.
    public func loadNewestValid(skipped: (TrainingError) -> Void = { _ in }) throws -> Checkpoint? {
        var problems: [String] = []
        for candidate in checkpoints() {
            do {
                let checkpoint = try Checkpoint.load(from: candidate.url)
                guard checkpoint.state.step == candidate.step else {
                    throw TrainingError.corruptCheckpoint(
                        path: candidate.url.path, reason: "\(Checkpoint.stateFile) says step \(checkpoint.state.step)")
                }
                return checkpoint
            } catch let error as TrainingError {
                problems.append(error.description)
                skipped(error)
            }
        }
        if !problems.isEmpty { throw TrainingError.noValidCheckpoint(directory: directory.path, problems: problems) }
        return nil
    }
}
