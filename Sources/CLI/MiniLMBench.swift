import ArgumentParser
import Benchmarks
import Encoders
import Foundation
import Tensors

/// `crossmodal bench minilm`: sentences/s of our MiniLM encoder vs sentence-transformers (the peer script
/// `tools/bench/peer_minilm.py`) on the same sentences, batch size and thread count, in one run, with the
/// two sides' timed runs interleaved so that both see the same load on a shared machine.
struct MiniLMBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "minilm",
        abstract: "MiniLM sentence embeddings: sentences/s vs sentence-transformers (release build).")

    @Option(help: "Number of sentences (mixed length, seeded).")
    var sentences = 256

    @Option(help: "Batch size (both sides).")
    var batchSize = 32

    @Option(help: "Timed runs per side (median reported).")
    var runs = 7

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
        print("MiniLM benchmark — \(texts.count) sentences (\(tokens.min()!)…\(tokens.max()!) tokens, mean \(tokens.reduce(0, +) / tokens.count)), batch \(batchSize), \(threads) threads, median of \(runs) after \(warmups) warm-up(s), runs interleaved with the peer's")
        let ours = { Timing.samples(warmups: 0, runs: 1) { _ = TextEmbedding.embed(texts, encoder: encoder, batchSize: batchSize, tokenFeatures: false) }[0] }
        let peer = try python.isEmpty ? nil : Peer(python: python, script: self.peer, texts: texts, model: directory, threads: threads, batchSize: batchSize)
        defer { peer?.stop() }
        var mine: [Double] = [], theirs: [Double] = []
        for i in 0..<(warmups + runs) {
            let a = ours(), b = try peer?.run()
            if i >= warmups {
                mine.append(a)
                if let b { theirs.append(b) }
            }
        }
        let rate = { (ms: Double) in Double(texts.count) / ms * 1e3 }
        let m = Timing.median(mine)
        print(String(format: "  CrossModal (Swift)        %8.1f ms   %7.1f sentences/s   (fastest run %.1f ms)", m, rate(m), mine.min()!))
        guard let peer else { return }
        let t = Timing.median(theirs)
        print(String(format: "  sentence-transformers     %8.1f ms   %7.1f sentences/s   (fastest run %.1f ms; %@)", t, rate(t), theirs.min()!, try peer.info()))
        print(String(format: "  speed-up: %.2f× median, %.2f× fastest runs (target ≥ 1.25×)", t / m, theirs.min()! / mine.min()!))
    }

    /// The peer script as a child process, answering "run" with the milliseconds of one full encode.
    final class Peer {
        let process = Process()
        let input = Pipe(), output = Pipe()
        var buffer = Data()

        init(python: String, script: String, texts: [String], model: URL, threads: Int, batchSize: Int) throws {
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("minilm-bench-\(UUID().uuidString).json")
            try JSONSerialization.data(withJSONObject: texts).write(to: file)
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [python, script, file.path, model.path, "\(threads)", "\(batchSize)"]
            process.standardInput = input
            process.standardOutput = output
            try process.run()
            defer { try? FileManager.default.removeItem(at: file) }
            guard try readLine() == "ready" else { throw failure() }
        }

        func run() throws -> Double {
            let reply = try ask("run")
            guard let ms = reply["ms"] as? Double else { throw failure() }
            return ms
        }

        func info() throws -> String {
            let reply = try ask("info")
            return "torch \(reply["torch"] ?? "?"), \(reply["threads"] ?? "?") threads"
        }

        func stop() {
            input.fileHandleForWriting.write(Data("quit\n".utf8))
            process.waitUntilExit()
        }

        private func ask(_ command: String) throws -> [String: Any] {
            input.fileHandleForWriting.write(Data("\(command)\n".utf8))
            guard let line = try readLine(), let json = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw failure()
            }
            return json
        }

        private func readLine() throws -> String? {
            while true {
                if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = String(decoding: buffer[..<newline], as: UTF8.self)
                    buffer.removeSubrange(...newline)
                    return line
                }
                let chunk = output.fileHandleForReading.availableData
                if chunk.isEmpty { return nil }
                buffer.append(chunk)
            }
        }

        private func failure() -> Error {
            ValidationError("the peer script \(process.arguments?[1] ?? "") failed; it needs python3 with `pip install sentence-transformers` and the model in the cache")
        }
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
