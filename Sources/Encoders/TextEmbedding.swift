import Foundation
import Tensors

/// Embeds many texts in length-bucketed batches and collects the results as named tensors for a
/// safetensors file (what `crossmodal embed-text` writes).
///
/// Keys (N texts, T the longest tokenized text, H the encoder width):
/// - `sentence_embeddings` [N, H]: L2-normalized mean-pooled embeddings;
/// - `token_features` [N, T, H]: last hidden states, zero at padding (omitted without `tokenFeatures`);
/// - `attention_mask` [N, T]: 1 for real tokens, 0 for padding;
/// - `input_ids` [N, T]: token ids (`[PAD]` at padding);
/// - `lengths` [N]: tokens per text, `[CLS]` and `[SEP]` included.
/// Rows are in input order.
public enum TextEmbedding {
    /// Texts are sorted by token count and cut into batches of `batchSize`, so each batch pads little. With
    /// several cores and batches, the batches run concurrently, one per core with single-threaded BLAS
    /// (whole batches in parallel scale better than splitting each GEMM). `progress(done, total)` is called
    /// after each batch, one call at a time, with `done` increasing.
    public static func embed(
        _ texts: [String], encoder: SentenceEncoder, batchSize: Int = 32, tokenFeatures: Bool = true,
        progress: (Int, Int) -> Void = { _, _ in }
    ) -> [String: Tensor] {
        precondition(batchSize > 0, "TextEmbedding.embed: batch size \(batchSize) must be positive")
        let encodings = texts.map(encoder.tokenizer.encode)
        let n = texts.count, h = encoder.dimension
        let t = encodings.map(\.ids.count).max() ?? 0
        let order = (0..<n).sorted { (encodings[$0].ids.count, $0) < (encodings[$1].ids.count, $1) }
        let batches = stride(from: 0, to: n, by: batchSize).reversed().map { Array(order[$0..<min($0 + batchSize, n)]) }
        let sentences = Tensor(zeros: [n, h])
        let features = tokenFeatures ? Tensor(zeros: [n, t, h]) : nil
        let mask = Tensor(zeros: [n, t]), ids = Tensor(zeros: [n, t]), lengths = Tensor(zeros: [n])
        let lock = NSLock()
        var done = 0
        func run(_ rows: [Int]) {
            let batch = BatchEncoding(rows.map { encodings[$0] }, padID: encoder.tokenizer.padID)
            let out = encoder.encode(batch)
            for (b, row) in rows.enumerated() {  // each batch writes only its own rows
                let len = batch.lengths[b]
                (sentences.mutableData + row * h).update(from: out.sentenceEmbeddings.data + b * h, count: h)
                features.map { ($0.mutableData + row * t * h).update(from: out.tokenFeatures.data + b * batch.length * h, count: len * h) }
                for j in 0..<t {
                    mask.mutableData[row * t + j] = j < len ? 1 : 0
                    ids.mutableData[row * t + j] = Float(j < len ? batch.ids[b * batch.length + j] : encoder.tokenizer.padID)
                }
                lengths.mutableData[row] = Float(len)
            }
            lock.lock()
            defer { lock.unlock() }
            done += rows.count
            progress(done, n)
        }
        Tape.withoutRecording {
            if Parallel.cores > 1 && batches.count > 1 {
                BLAS.singleThreaded {
                    DispatchQueue.concurrentPerform(iterations: batches.count) { run(batches[$0]) }
                }
            } else {
                batches.forEach(run)
            }
        }
        var result = ["sentence_embeddings": sentences, "attention_mask": mask, "input_ids": ids, "lengths": lengths]
        if let features { result["token_features"] = features }
        return result
    }

    /// Reads `input`, embeds its texts and writes the tensors above to `output` (safetensors, with the model
    /// directory and text count in the metadata). Returns the number of texts.
    @discardableResult
    public static func run(
        input: URL, output: URL, encoder: SentenceEncoder, format: TextInput.Format? = nil, textKey: String = "text",
        batchSize: Int = 32, tokenFeatures: Bool = true, metadata: [String: String] = [:],
        progress: (Int, Int) -> Void = { _, _ in }
    ) throws -> Int {
        let texts = try TextInput.read(input, format: format, textKey: textKey)
        let tensors = embed(texts, encoder: encoder, batchSize: batchSize, tokenFeatures: tokenFeatures, progress: progress)
        try Safetensors.write(tensors, to: output, metadata: metadata.merging(["count": "\(texts.count)"]) { a, _ in a })
        return texts.count
    }
}
