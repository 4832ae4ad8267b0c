import Foundation
import Tensors

/// What `trainer.json` records besides the weights: where training stands and how to continue it exactly.
public struct TrainerState: Codable, Equatable, Sendable {
    /// Steps completed.
    public var step: Int
    /// Product of the non-finite back-offs so far (multiplies the scheduled learning rate).
    public var learningRateFactor: Float
    /// Non-finite steps in a row just before this checkpoint.
    public var consecutiveNonFinite: Int
    /// Wall-clock training seconds so far.
    public var elapsedSeconds: Double
    /// `Random.generator.state` (dropout draws from it), as 16-digit hex words.
    public var randomState: [String]
    /// The config the run was started with.
    public var config: TrainingConfig
    /// FNV-1a 64 checksum (hex) of each weight file, by file name.
    public var checksums: [String: String] = [:]

    enum CodingKeys: String, CodingKey {
        case step, learningRateFactor = "learning_rate_factor", consecutiveNonFinite = "consecutive_non_finite"
        case elapsedSeconds = "elapsed_seconds", randomState = "random_state", config, checksums
    }

    public init(step: Int, learningRateFactor: Float, consecutiveNonFinite: Int, elapsedSeconds: Double,
                random: RandomGenerator, config: TrainingConfig) {
        self.step = step
        self.learningRateFactor = learningRateFactor
        self.consecutiveNonFinite = consecutiveNonFinite
        self.elapsedSeconds = elapsedSeconds
        randomState = random.state.map(\.hex16)
        self.config = config
    }

    /// The saved global generator, or nil if `randomState` is not four hex words.
    public var random: RandomGenerator? {
        let words = randomState.compactMap { UInt64($0, radix: 16) }
        return words.count == 4 && randomState.count == 4 ? RandomGenerator(state: words) : nil
    }
}

/// One checkpoint directory (`step-000123/`): `model.safetensors` (the model's PyTorch-style state dict),
/// `optimizer.safetensors` and `trainer.json` (a `TrainerState` with the checksums of the other two).
public struct Checkpoint {
    public static let modelFile = "model.safetensors"
    public static let optimizerFile = "optimizer.safetensors"
    public static let stateFile = "trainer.json"

    public let url: URL
    public let state: TrainerState
    public let model: [String: Tensor]
    public let optimizer: [String: Tensor]

    /// The files of a checkpoint, checksums filled in, in writing order (`trainer.json` last).
    static func files(model: [String: Tensor], optimizer: [String: Tensor], state: TrainerState) -> [(name: String, data: Data)] {
        let weights = [(modelFile, Safetensors.encode(model)), (optimizerFile, Safetensors.encode(optimizer))]
        var state = state
        for (name, data) in weights { state.checksums[name] = FNV1a.hex(data) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return weights.map { (name: $0.0, data: $0.1) } + [(stateFile, try! encoder.encode(state))]
    }

    /// Reads and verifies the checkpoint at `url`; throws `TrainingError.corruptCheckpoint` saying what is wrong.
    public static func load(from url: URL) throws -> Checkpoint {
        try parse(Dictionary(uniqueKeysWithValues: [stateFile, modelFile, optimizerFile].compactMap { name in
            FileManager.default.contents(atPath: url.appendingPathComponent(name).path).map { (name, $0) }
        }), url: url)
    }

    /// Verifies and parses a checkpoint's files (by name) read from `url`; throws `TrainingError.corruptCheckpoint`.
    static func parse(_ files: [String: Data], url: URL) throws -> Checkpoint {
        func corrupt(_ reason: String) -> TrainingError { .corruptCheckpoint(path: url.path, reason: reason) }
        guard let stateData = files[stateFile] else {
            throw corrupt("\(stateFile) is missing or unreadable")
        }
        let state: TrainerState
        do {
            state = try JSONDecoder().decode(TrainerState.self, from: stateData)
        } catch {
            throw corrupt("\(stateFile) is not a valid trainer state (\(error))")
        }
        guard state.random != nil else { throw corrupt("\(stateFile) has a random_state that is not four hex words") }
        var tensors: [[String: Tensor]] = []
        for name in [modelFile, optimizerFile] {
            let path = url.appendingPathComponent(name).path
            guard let data = files[name] else { throw corrupt("\(name) is missing or unreadable") }
            let found = FNV1a.hex(data)
            guard let expected = state.checksums[name] else { throw corrupt("\(stateFile) has no checksum for \(name)") }
            guard found == expected else {
                throw corrupt("\(name) has checksum \(found), \(stateFile) expects \(expected) (\(data.count) bytes; truncated or modified)")
            }
            do {
                tensors.append(try Safetensors.parse(data, path: path).tensors)
            } catch {
                throw corrupt("\(error)")
            }
        }
        return Checkpoint(url: url, state: state, model: tensors[0], optimizer: tensors[1])
    }
}
