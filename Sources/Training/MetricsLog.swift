import Foundation

/// One line of `metrics.jsonl`: the outcome of a training step.
public struct MetricsRecord: Equatable, Sendable {
    /// Steps completed, counting this one (1-based).
    public var step: Int
    /// The loss (NaN/Inf are written as JSON `null`).
    public var loss: Float
    /// Total L2 gradient norm before clipping (NaN/Inf as `null`).
    public var gradNorm: Float
    /// Learning rate used by this step (schedule × back-off factor).
    public var learningRate: Float
    /// True when the step was skipped for a non-finite loss or gradient norm.
    public var skipped: Bool
    /// Wall-clock seconds of training so far (continued across resumes).
    public var elapsedSeconds: Double
    /// Evaluation metrics, on evaluation steps (written as `eval_<name>`).
    public var eval: [String: Double] = [:]

    public init(step: Int, loss: Float, gradNorm: Float, learningRate: Float, skipped: Bool,
                elapsedSeconds: Double, eval: [String: Double] = [:]) {
        self.step = step
        self.loss = loss
        self.gradNorm = gradNorm
        self.learningRate = learningRate
        self.skipped = skipped
        self.elapsedSeconds = elapsedSeconds
        self.eval = eval
    }

    /// The record as one JSON object (fixed key order, eval keys sorted), without a newline.
    public var jsonLine: String {
        func number<F: BinaryFloatingPoint & LosslessStringConvertible>(_ x: F) -> String { x.isFinite ? "\(x)" : "null" }
        var fields = [
            "\"step\":\(step)", "\"loss\":\(number(loss))", "\"grad_norm\":\(number(gradNorm))",
            "\"learning_rate\":\(number(learningRate))", "\"skipped\":\(skipped)",
            "\"elapsed\":\(number(elapsedSeconds))",
        ]
        for key in eval.keys.sorted() {
            let name = String(decoding: try! JSONSerialization.data(withJSONObject: ["eval_" + key]), as: UTF8.self)
            fields.append("\(name.dropFirst().dropLast()):\(number(eval[key]!))")
        }
        return "{" + fields.joined(separator: ",") + "}"
    }

    /// Parses a line written by `jsonLine` (nil if it is not one).
    public init?(jsonLine: String) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(jsonLine.utf8)) as? [String: Any],
              let step = (object["step"] as? NSNumber)?.intValue, let skipped = object["skipped"] as? Bool
        else { return nil }
        func float(_ key: String) -> Float { (object[key] as? NSNumber)?.floatValue ?? .nan }
        self.step = step
        loss = float("loss")
        gradNorm = float("grad_norm")
        learningRate = float("learning_rate")
        self.skipped = skipped
        elapsedSeconds = (object["elapsed"] as? NSNumber)?.doubleValue ?? .nan
        for (key, value) in object where key.hasPrefix("eval_") {
            eval[String(key.dropFirst(5))] = (value as? NSNumber)?.doubleValue ?? .nan
        }
    }
}

/// `metrics.jsonl`: one `MetricsRecord` per line, each appended with a single `write` (so it reaches the
/// file immediately). On resume, `truncate(after:)` drops the lines of steps past the checkpoint.
public final class MetricsLog {
    public let url: URL
    private var handle: FileHandle

    /// Opens (creating if needed) the log at `url` for appending.
    public init(url: URL) throws {
        self.url = url
        if !FileManager.default.fileExists(atPath: url.path) {
            guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
                throw TrainingError.unwritable(path: url.path, reason: "cannot create the file")
            }
        }
        handle = try Self.openForAppending(url)
    }

    private static func openForAppending(_ url: URL) throws -> FileHandle {
        do {
            let handle = try FileHandle(forWritingTo: url)
            try handle.seekToEnd()
            return handle
        } catch {
            throw TrainingError.unwritable(path: url.path, reason: error.localizedDescription)
        }
    }

    deinit { try? handle.close() }

    /// Appends one line.
    public func append(_ record: MetricsRecord) throws {
        do {
            try handle.write(contentsOf: Data((record.jsonLine + "\n").utf8))
        } catch {
            throw TrainingError.unwritable(path: url.path, reason: error.localizedDescription)
        }
    }

    /// Every record in the file (lines that do not parse, e.g. a torn last line, are left out).
    public static func read(_ url: URL) -> [MetricsRecord] {
        guard let data = FileManager.default.contents(atPath: url.path) else { return [] }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap { MetricsRecord(jsonLine: String($0)) }
    }

    /// Keeps only the records of steps ≤ `step` (and drops torn lines), so the log matches a resumed
    /// checkpoint. The file is replaced atomically.
    public func truncate(after step: Int) throws {
        let kept = Self.read(url).filter { $0.step <= step }
        do {
            try Data(kept.map { $0.jsonLine + "\n" }.joined().utf8).write(to: url, options: .atomic)
        } catch {
            throw TrainingError.unwritable(path: url.path, reason: error.localizedDescription)
        }
        try? handle.close()
        handle = try Self.openForAppending(url)
    }
}
