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

    @Option(help: "Timed runs per side, in pairs timed turn about with the peer (median reported).")
    var runs = 31

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
        let ours = { Timing.milliseconds { _ = TextEmbedding.embed(texts, encoder: encoder, batchSize: batchSize, tokenFeatures: false) } }
        guard !python.isEmpty else {
            let mine = Timing.samples(warmups: warmups, runs: runs) { _ = ours() }
            print(String(format: "  CrossModal (Swift)        %8.1f ms   %7.1f sentences/s", Timing.median(mine), Double(texts.count) / Timing.median(mine) * 1e3))
            return
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("minilm-bench-\(UUID().uuidString).json")
        try JSONSerialization.data(withJSONObject: texts).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let peer = try PeerProcess([python, self.peer, file.path, directory.path, "\(threads)", "\(batchSize)"],
                                   hint: "it needs python3 with `pip install sentence-transformers` and the model in the cache")
        defer { peer.stop() }
        let times = try PairedComparison.measure(pairs: runs, warmups: warmups, pause: 0.2, a: ours, b: { try peer.milliseconds("run") })
        let info = try peer.ask("info")
        let rate = { (ms: Double) in Double(texts.count) / ms * 1e3 }
        let (m, t) = (Timing.median(times.a), Timing.median(times.b))
        print(String(format: "  CrossModal (Swift)        %8.1f ms   %7.1f sentences/s   (fastest run %.1f ms)", m, rate(m), times.a.min()!))
        print(String(format: "  sentence-transformers     %8.1f ms   %7.1f sentences/s   (fastest run %.1f ms; torch %@, %@ threads)", t, rate(t), times.b.min()!,
                     "\(info["torch"] ?? "?")", "\(info["threads"] ?? "?")"))
        let (low, high) = times.interval()
        print(String(format: "  speed-up (peer/Swift time): %.2f× median of %d interleaved pairs (bootstrap 95%% interval %.2f–%.2f×; target ≥ 1.25×); %@",
                     1 / times.medianRatio, runs, 1 / high, 1 / low, times.verdict(a: "Swift", b: "sentence-transformers")))
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
