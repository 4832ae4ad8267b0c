import ArgumentParser
import Encoders
import Foundation

/// `crossmodal embed-text`: embeds texts with the pretrained MiniLM encoder and writes a safetensors file.
struct EmbedTextCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed-text",
        abstract: "Embeds texts (plain lines or JSONL) with all-MiniLM-L6-v2 and writes safetensors.",
        discussion: """
            Output keys (N texts, T the longest tokenized text, H = 384): sentence_embeddings [N, H] \
            (L2-normalized mean pooling, as sentence-transformers), token_features [N, T, H] (last hidden \
            state, zero at padding; omit with --no-token-features), attention_mask [N, T] (1 = token, \
            0 = padding), input_ids [N, T], lengths [N]. Rows are in input order. Texts are batched by \
            length. The model comes from the cache (`make models`) unless --model names a directory.
            """)

    @Argument(help: "Input file: one text per line, or JSON Lines (.jsonl) with a string or an object per line.")
    var input: String

    @Option(name: .shortAndLong, help: "Output safetensors file.")
    var output: String

    @Option(help: "Input format: lines or jsonl (default: from the file extension).")
    var format: String?

    @Option(help: "JSONL field holding the text.")
    var textKey = "text"

    @Option(help: "Texts per batch.")
    var batchSize = 32

    @Option(help: "Model directory (default: the cache, ${CROSSMODAL_CACHE:-~/.cache/crossmodal}/models/all-MiniLM-L6-v2).")
    var model: String?

    @Flag(inversion: .prefixedNo, help: "Write the per-token features as well as the sentence embeddings.")
    var tokenFeatures = true

    func validate() throws {
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive, got \(batchSize)") }
        if let format, TextInput.Format(rawValue: format) == nil {
            throw ValidationError("--format must be one of \(TextInput.Format.allCases.map(\.rawValue).joined(separator: ", ")), got '\(format)'")
        }
    }

    func run() throws {
        let directory = try model.map { URL(fileURLWithPath: $0, isDirectory: true) }
            ?? ModelCache.directory(for: ModelCache.miniLM)
        let encoder = try SentenceEncoder(directory: directory)
        let start = Date()
        var lastReport = Date.distantPast
        let count = try TextEmbedding.run(
            input: URL(fileURLWithPath: input), output: URL(fileURLWithPath: output), encoder: encoder,
            format: format.flatMap(TextInput.Format.init(rawValue:)), textKey: textKey, batchSize: batchSize,
            tokenFeatures: tokenFeatures, metadata: ["model": directory.lastPathComponent]
        ) { done, total in
            guard done == total || Date().timeIntervalSince(lastReport) > 0.5 else { return }
            lastReport = Date()
            let rate = Double(done) / max(Date().timeIntervalSince(start), 1e-9)
            FileHandle.standardError.write(Data("\rembedded \(done)/\(total) texts (\(Int(rate)) texts/s)".utf8))
            if done == total { FileHandle.standardError.write(Data("\n".utf8)) }
        }
        print("wrote \(count) embeddings to \(output)")
    }
}
