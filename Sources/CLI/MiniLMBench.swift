import ArgumentParser
import Encoders
import Foundation
import Tensors

/// `crossmodal bench minilm`: sentences/s of our MiniLM encoder vs sentence-transformers (the peer script
/// `tools/bench/peer_minilm.py`) on the same sentences, batch size and thread count, in one run.
struct MiniLMBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "minilm",
        abstract: "MiniLM sentence embeddings: sentences/s vs sentence-transformers (release build).")

    @Option(help: "Number of sentences (mixed length, seeded).")
    var sentences = 256

    @Option(help: "Batch size (both sides).")
    var batchSize = 32

    @Option(help: "Timed runs (median reported).")
    var runs = 5

    @Option(help: "Warm-up runs.")
    var warmups = 1

    @Option(help: "Python interpreter for the peer script (empty: skip the peer).")
    var python = "python3"

    @Option(help: "The peer script.")
    var peer = "tools/bench/peer_minilm.py"

    func run() throws {
        let directory = try ModelCache.directory(for: ModelCache.miniLM)
        let encoder = try SentenceEncoder(directory: directory)
        let texts = Self.mixedSentences(count: sentences, seed: 0)
        let tokens = texts.map { encoder.tokenizer.encode($0).ids.count }
        let threads = ProcessInfo.processInfo.activeProcessorCount
        print("MiniLM benchmark — \(texts.count) sentences (\(tokens.min()!)…\(tokens.max()!) tokens, mean \(tokens.reduce(0, +) / tokens.count)), batch \(batchSize), \(threads) threads, BLAS threads \(BLAS.threads), median of \(runs) after \(warmups) warm-up(s)")
        let ours = Timing.medianMilliseconds(warmups: warmups, runs: runs) {
            _ = TextEmbedding.embed(texts, encoder: encoder, batchSize: batchSize, tokenFeatures: false)
        }
        let oursRate = Double(texts.count) / ours * 1e3
        print(String(format: "  CrossModal (Swift)        %8.1f ms   %7.1f sentences/s", ours, oursRate))
        guard !python.isEmpty else { return }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("minilm-bench-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try JSONSerialization.data(withJSONObject: texts).write(to: file)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, peer, file.path, directory.path, "\(threads)", "\(batchSize)", "\(warmups)", "\(runs)"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
              let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last,
              let json = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let theirs = json["median_ms"] as? Double else {
            throw ValidationError("peer script \(peer) failed (status \(process.terminationStatus)); it needs `pip install sentence-transformers`")
        }
        let theirRate = Double(texts.count) / theirs * 1e3
        print(String(format: "  sentence-transformers     %8.1f ms   %7.1f sentences/s   (torch %@, %d threads)",
                     theirs, theirRate, "\(json["torch"] ?? "?")", (json["threads"] as? Int) ?? 0))
        print(String(format: "  speed-up: %.2f× (target ≥ 1.25×)", oursRate / theirRate))
    }

    /// `count` English sentences of 3…60 words (seeded), some with punctuation and numbers.
    static func mixedSentences(count: Int, seed: UInt64) -> [String] {
        let words = ("the a of and to in is was for on with as by at from that this which object red green blue "
            + "orange yellow gray square circle left right top bottom closest furthest shape color how many what "
            + "where image picture question answer model attention transformer feature embedding sentence word "
            + "small large very quickly slowly walks runs jumps over under near far between behind in front").split(separator: " ")
        var rng = RandomGenerator(seed: seed)
        return (0..<count).map { _ in
            let n = 3 + Int(rng.uniform(0, 1) * 58)
            var parts: [String] = []
            for i in 0..<n {
                let w = String(words[Int(rng.uniform(0, 1) * Float(words.count)) % words.count])
                parts.append(i == 0 ? w.capitalized : w)
                if rng.uniform(0, 1) < 0.08 { parts[parts.count - 1] += "," }
                if rng.uniform(0, 1) < 0.04 { parts.append("\(Int(rng.uniform(0, 1) * 1000))") }
            }
            return parts.joined(separator: " ") + (rng.uniform(0, 1) < 0.5 ? "." : "?")
        }
    }
}
