import Foundation
import Yams

/// Everything a `Trainer` needs to know, read from YAML with snake_case keys (`learning_rate: 3e-4`).
/// Every field has a default, unknown keys are rejected by name and invalid values say what was expected.
/// The reference table in `docs/training-config.md` is `TrainingConfig.referenceMarkdown()`.
public struct TrainingConfig: Codable, Equatable, Sendable {
    /// Number of optimizer steps (skipped non-finite steps count too). At least 1.
    public var steps = 1000
    /// Examples per step, passed on to the loss closure through the config. At least 1.
    public var batchSize = 32
    /// Peak AdamW learning rate, reached after the warmup. Greater than 0.
    public var learningRate: Float = 1e-3
    /// Learning rate at the end of the cosine decay. Between 0 and `learningRate`.
    public var minLearningRate: Float = 0
    /// Steps of linear warmup from 0 to `learningRate`. Between 0 and `steps`.
    public var warmupSteps = 0
    /// AdamW decoupled weight decay. At least 0.
    public var weightDecay: Float = 0.01
    /// AdamW first-moment decay. In [0, 1).
    public var beta1: Float = 0.9
    /// AdamW second-moment decay. In [0, 1).
    public var beta2: Float = 0.999
    /// AdamW denominator epsilon. Greater than 0.
    public var eps: Float = 1e-8
    /// Maximum total L2 gradient norm; larger gradients are scaled down. 0 disables clipping.
    public var clipNorm: Float = 1
    /// Consecutive non-finite (NaN/Inf) steps after which training stops with `TrainingError.diverged`.
    public var nonFinitePatience = 5
    /// Factor applied to the learning rate after each non-finite step (kept for the rest of the run). In (0, 1].
    public var nonFiniteBackoff: Float = 0.5
    /// Steps between progress lines when stderr is not a terminal. At least 1.
    public var logEvery = 10
    /// Steps between evaluations (and at the last step); 0 never evaluates.
    public var evalEvery = 0
    /// Steps between checkpoints (one is always written at the end); 0 writes only the final one.
    public var checkpointEvery = 100
    /// Newest checkpoints kept on disk. At least 1 (2 or more lets a corrupted newest one fall back).
    public var keepCheckpoints = 3
    /// Seed of the data order (step `s` draws from `RandomGenerator(seed: seed &+ s)`) and of dropout.
    public var seed: UInt64 = 0
    /// Directory for `checkpoints/` and `metrics.jsonl` (relative paths resolve against the current directory).
    public var outputDir = "runs/default"

    /// The defaults of every field.
    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case steps, batchSize = "batch_size", learningRate = "learning_rate", minLearningRate = "min_learning_rate"
        case warmupSteps = "warmup_steps", weightDecay = "weight_decay", beta1, beta2, eps
        case clipNorm = "clip_norm", nonFinitePatience = "non_finite_patience", nonFiniteBackoff = "non_finite_backoff"
        case logEvery = "log_every", evalEvery = "eval_every", checkpointEvery = "checkpoint_every"
        case keepCheckpoints = "keep_checkpoints", seed, outputDir = "output_dir"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func value<T: Decodable>(_ key: CodingKeys, _ fallback: T) throws -> T {
            do {
                return try c.decodeIfPresent(T.self, forKey: key) ?? fallback
            } catch {
                throw TrainingConfigError.invalidValue(key: key.rawValue, found: "?", expected: Self.typeName(T.self))
            }
        }
        let d = TrainingConfig()
        steps = try value(.steps, d.steps)
        batchSize = try value(.batchSize, d.batchSize)
        learningRate = try value(.learningRate, d.learningRate)
        minLearningRate = try value(.minLearningRate, d.minLearningRate)
        warmupSteps = try value(.warmupSteps, d.warmupSteps)
        weightDecay = try value(.weightDecay, d.weightDecay)
        beta1 = try value(.beta1, d.beta1)
        beta2 = try value(.beta2, d.beta2)
        eps = try value(.eps, d.eps)
        clipNorm = try value(.clipNorm, d.clipNorm)
        nonFinitePatience = try value(.nonFinitePatience, d.nonFinitePatience)
        nonFiniteBackoff = try value(.nonFiniteBackoff, d.nonFiniteBackoff)
        logEvery = try value(.logEvery, d.logEvery)
        evalEvery = try value(.evalEvery, d.evalEvery)
        checkpointEvery = try value(.checkpointEvery, d.checkpointEvery)
        keepCheckpoints = try value(.keepCheckpoints, d.keepCheckpoints)
        seed = try value(.seed, d.seed)
        outputDir = try value(.outputDir, d.outputDir)
    }

    /// Deepest bracket or indentation nesting `init(yaml:)` accepts before handing the text to Yams, whose
    /// recursive composer would overflow the stack on thousands of levels. A config is flat `key: value` lines.
    static let maxNesting = 32

    /// Parses a YAML mapping (empty text gives the defaults), rejecting unknown, repeated or empty keys,
    /// invalid values, and documents nested deeper than `maxNesting`.
    public init(yaml: String) throws {
        let depth = Self.nesting(yaml)
        guard depth <= Self.maxNesting else {
            throw TrainingConfigError.malformed(reason: "nested \(depth) levels deep (at most \(Self.maxNesting)); a training config is flat")
        }
        let node: Node?
        do {
            node = try Yams.compose(yaml: yaml)
        } catch {
            throw TrainingConfigError.malformed(reason: "not valid YAML: \(error)")
        }
        guard let node else { self.init(); return }
        guard let mapping = node.mapping else {
            throw TrainingConfigError.malformed(reason: "expected a mapping of keys to values, found \(node.scalar?.string ?? "a sequence")")
        }
        let known = Self.fields.map(\.key)
        var seen = Set<String>()
        for (key, value) in mapping {
            let name = key.string ?? "\(key)"
            if !known.contains(name) {
                throw TrainingConfigError.unknownKey(key: name, known: known, suggestion: Self.closest(to: name, in: known))
            }
            guard seen.insert(name).inserted else {
                throw TrainingConfigError.malformed(reason: "key '\(name)' appears more than once; keep one")
            }
            if let scalar = value.scalar, scalar.string.isEmpty || (scalar.style == .plain && ["~", "null", "Null", "NULL"].contains(scalar.string)) {
                throw TrainingConfigError.invalidValue(key: name, found: "an empty value", expected: "a value (remove the line to use the default)")
            }
        }
        do {
            self = try YAMLDecoder().decode(TrainingConfig.self, from: yaml)
        } catch {
            // Yams wraps errors thrown by `init(from:)` in `DecodingError.dataCorrupted`.
            var underlying: Error = error
            if case let DecodingError.dataCorrupted(context) = error, let e = context.underlyingError { underlying = e }
            guard case let TrainingConfigError.invalidValue(key, _, expected) = underlying else {
                throw TrainingConfigError.malformed(reason: "\(error)")
            }
            let raw = mapping[key].map { $0.scalar.map { "'\($0.string)'" } ?? "a \($0.sequence != nil ? "sequence" : "mapping")" }
            throw TrainingConfigError.invalidValue(key: key, found: raw ?? "?", expected: expected)
        }
        try validate()
    }

    /// Reads and parses a YAML file (see `init(yaml:)`).
    public static func load(from url: URL) throws -> TrainingConfig {
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw TrainingConfigError.unreadable(path: url.path, reason: error.localizedDescription)
        }
        return try TrainingConfig(yaml: text)
    }

    /// Throws `TrainingConfigError.invalidValue` for the first field outside its documented range.
    public func validate() throws {
        func check(_ ok: Bool, _ key: CodingKeys, _ found: Any, _ expected: String) throws {
            if !ok { throw TrainingConfigError.invalidValue(key: key.rawValue, found: "\(found)", expected: expected) }
        }
        try check(steps >= 1, .steps, steps, "an integer ≥ 1")
        try check(batchSize >= 1, .batchSize, batchSize, "an integer ≥ 1")
        try check(learningRate.isFinite && learningRate > 0, .learningRate, learningRate, "a finite number > 0")
        try check(minLearningRate.isFinite && minLearningRate >= 0 && minLearningRate <= learningRate,
                  .minLearningRate, minLearningRate, "a number in [0, learning_rate = \(learningRate)]")
        try check(warmupSteps >= 0 && warmupSteps <= steps, .warmupSteps, warmupSteps, "an integer in [0, steps = \(steps)]")
        try check(weightDecay.isFinite && weightDecay >= 0, .weightDecay, weightDecay, "a finite number ≥ 0")
        try check(beta1 >= 0 && beta1 < 1, .beta1, beta1, "a number in [0, 1)")
        try check(beta2 >= 0 && beta2 < 1, .beta2, beta2, "a number in [0, 1)")
        try check(eps.isFinite && eps > 0, .eps, eps, "a finite number > 0")
        try check(clipNorm.isFinite && clipNorm >= 0, .clipNorm, clipNorm, "a finite number ≥ 0 (0 disables clipping)")
        try check(nonFinitePatience >= 1, .nonFinitePatience, nonFinitePatience, "an integer ≥ 1")
        try check(nonFiniteBackoff > 0 && nonFiniteBackoff <= 1, .nonFiniteBackoff, nonFiniteBackoff, "a number in (0, 1]")
        try check(logEvery >= 1, .logEvery, logEvery, "an integer ≥ 1")
        try check(evalEvery >= 0, .evalEvery, evalEvery, "an integer ≥ 0 (0 never evaluates)")
        try check(checkpointEvery >= 0, .checkpointEvery, checkpointEvery, "an integer ≥ 0 (0 checkpoints only at the end)")
        try check(keepCheckpoints >= 1, .keepCheckpoints, keepCheckpoints, "an integer ≥ 1")
        try check(!outputDir.isEmpty, .outputDir, "\"\"", "a non-empty directory path")
    }

    /// One documented field: YAML key, type, description and how to print its value.
    public struct Field: Sendable {
        public let key: String
        public let type: String
        public let doc: String
        let value: @Sendable (TrainingConfig) -> String
    }

    /// Every field in YAML order; the source of the known-key list and of `referenceMarkdown()`.
    public static let fields: [Field] = [
        Field(key: "steps", type: "int", doc: "Number of optimizer steps (skipped non-finite steps count too). At least 1.") { "\($0.steps)" },
        Field(key: "batch_size", type: "int", doc: "Examples per step, for the loss closure. At least 1.") { "\($0.batchSize)" },
        Field(key: "learning_rate", type: "float", doc: "Peak AdamW learning rate, reached after the warmup. Greater than 0.") { "\($0.learningRate)" },
        Field(key: "min_learning_rate", type: "float", doc: "Learning rate at the end of the cosine decay. Between 0 and `learning_rate`.") { "\($0.minLearningRate)" },
        Field(key: "warmup_steps", type: "int", doc: "Steps of linear warmup from 0 to `learning_rate`. Between 0 and `steps`.") { "\($0.warmupSteps)" },
        Field(key: "weight_decay", type: "float", doc: "AdamW decoupled weight decay. At least 0.") { "\($0.weightDecay)" },
        Field(key: "beta1", type: "float", doc: "AdamW first-moment decay. In [0, 1).") { "\($0.beta1)" },
        Field(key: "beta2", type: "float", doc: "AdamW second-moment decay. In [0, 1).") { "\($0.beta2)" },
        Field(key: "eps", type: "float", doc: "AdamW denominator epsilon. Greater than 0.") { "\($0.eps)" },
        Field(key: "clip_norm", type: "float", doc: "Maximum total L2 gradient norm; larger gradients are scaled down. 0 disables clipping.") { "\($0.clipNorm)" },
        Field(key: "non_finite_patience", type: "int", doc: "Consecutive NaN/Inf steps after which training stops with `TrainingError.diverged`. At least 1.") { "\($0.nonFinitePatience)" },
        Field(key: "non_finite_backoff", type: "float", doc: "Factor applied to the learning rate after each NaN/Inf step (kept for the rest of the run). In (0, 1].") { "\($0.nonFiniteBackoff)" },
        Field(key: "log_every", type: "int", doc: "Steps between progress lines when stderr is not a terminal. At least 1.") { "\($0.logEvery)" },
        Field(key: "eval_every", type: "int", doc: "Steps between evaluations (and at the last step); 0 never evaluates.") { "\($0.evalEvery)" },
        Field(key: "checkpoint_every", type: "int", doc: "Steps between checkpoints (one is always written at the end); 0 writes only the final one.") { "\($0.checkpointEvery)" },
        Field(key: "keep_checkpoints", type: "int", doc: "Newest checkpoints kept on disk. At least 1 (2 or more lets a corrupted newest one fall back).") { "\($0.keepCheckpoints)" },
        Field(key: "seed", type: "uint64", doc: "Seed of the data order (step `s` draws from `RandomGenerator(seed: seed &+ s)`) and of dropout.") { "\($0.seed)" },
        Field(key: "output_dir", type: "string", doc: "Directory for `checkpoints/` and `metrics.jsonl` (relative paths resolve against the current directory).") { "`\($0.outputDir)`" },
    ]

    /// The Markdown reference table of every field with its type, default and meaning.
    public static func referenceMarkdown() -> String {
        let defaults = TrainingConfig()
        var lines = ["| key | type | default | meaning |", "|---|---|---|---|"]
        for f in fields { lines.append("| `\(f.key)` | \(f.type) | \(f.value(defaults)) | \(f.doc) |") }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func typeName<T>(_ type: T.Type) -> String {
        switch type {
        case is Int.Type: "an integer"
        case is UInt64.Type: "an unsigned 64-bit integer"
        case is Float.Type: "a number"
        default: "a string"
        }
    }

    /// An upper bound of the nesting depth of YAML `text`: flow brackets open on a line plus its indentation
    /// and block-sequence dashes (quotes and comments are not parsed; they can only make it larger).
    static func nesting(_ text: String) -> Int {
        var deepest = 0, brackets = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            var block = 0, leading = true
            for c in line.utf8 {
                switch c {
                case UInt8(ascii: " "), UInt8(ascii: "-"), UInt8(ascii: "?"), UInt8(ascii: "\t"): if leading { block += 1 }
                case UInt8(ascii: "["), UInt8(ascii: "{"): brackets += 1; leading = false
                case UInt8(ascii: "]"), UInt8(ascii: "}"): brackets = max(0, brackets - 1); leading = false
                default: leading = false
                }
                deepest = max(deepest, block + brackets)
            }
        }
        return deepest
    }

    /// The known key nearest to `key` by edit distance, if it is close enough to be a plausible typo.
    static func closest(to key: String, in known: [String]) -> String? {
        let scored = known.map { ($0, editDistance(key, $0)) }.min { $0.1 < $1.1 }
        guard let (best, d) = scored, d <= max(2, key.count / 3) else { return nil }
        return best
    }

    private static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var row = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var previous = row[0]
            row[0] = i
            for j in stride(from: 1, through: b.count, by: 1) {
                let current = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = current
            }
        }
        return a.isEmpty ? b.count : row[b.count]
    }
}
