import Foundation
import NN
import Tensors

/// A frozen sentence-transformers text encoder: WordPiece tokenizer + BERT, with masked mean pooling and
/// L2 normalization (all-MiniLM-L6-v2's `Transformer → Pooling(mean) → Normalize` pipeline).
public final class SentenceEncoder {
    public let tokenizer: WordPieceTokenizer
    public let model: BertModel

    public init(tokenizer: WordPieceTokenizer, model: BertModel) {
        precondition(tokenizer.maxLength <= model.config.maxPositions,
                     "SentenceEncoder: tokenizer max length \(tokenizer.maxLength) exceeds \(model.config.maxPositions) positions")
        self.tokenizer = tokenizer
        self.model = model
    }

    /// Loads a sentence-transformers directory: `config.json`, `model.safetensors`, `tokenizer.json`. The
    /// maximum length is `max_seq_length` of `sentence_bert_config.json` when present (256 for MiniLM), else
    /// the tokenizer's `model_max_length`, capped by the model's positions. A pooling config other than
    /// mean pooling is refused.
    public convenience init(directory: URL) throws {
        let model = try BertModel.load(directory: directory)
        let tokenizer = try Self.tokenizer(directory: directory, maxPositions: model.config.maxPositions)
        let pooling = directory.appendingPathComponent("1_Pooling/config.json")
        if let data = try? Data(contentsOf: pooling), let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
            let others = ["pooling_mode_cls_token", "pooling_mode_max_tokens", "pooling_mode_mean_sqrt_len_tokens"]
            guard json["pooling_mode_mean_tokens"] as? Bool == true, !others.contains(where: { json[$0] as? Bool == true }) else {
                throw EncoderError.badConfig(path: pooling.path, reason: "only mean pooling (pooling_mode_mean_tokens) is supported")
            }
        }
        self.init(tokenizer: tokenizer, model: model)
    }

    /// The tokenizer of a sentence-transformers directory (`tokenizer.json`) with its maximum length as
    /// `init(directory:)` sets it, capped by `maxPositions` when given.
    public static func tokenizer(directory: URL, maxPositions: Int? = nil) throws -> WordPieceTokenizer {
        var tokenizer = try WordPieceTokenizer(contentsOf: directory.appendingPathComponent("tokenizer.json"))
        let stConfig = directory.appendingPathComponent("sentence_bert_config.json")
        if let data = try? Data(contentsOf: stConfig),
           let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
           let n = (json["max_seq_length"] as? NSNumber)?.intValue, n >= 2 {
            tokenizer = try tokenizer.truncating(to: n)
        }
        if let maxPositions, tokenizer.maxLength > maxPositions { tokenizer = try tokenizer.truncating(to: maxPositions) }
        return tokenizer
    }

    /// all-MiniLM-L6-v2 from the model cache; throws `EncoderError.modelMissing` with the fetch command when absent.
    public static func miniLM(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> SentenceEncoder {
        try SentenceEncoder(directory: ModelCache.directory(for: ModelCache.miniLM, environment: environment))
    }

    /// Width of the token features and sentence embeddings.
    public var dimension: Int { model.config.hiddenSize }

    /// Tokenizes `texts`, pads them to the longest and encodes them (no tape is recorded).
    public func encode(_ texts: [String]) -> TextFeatures {
        encode(tokenizer.encodeBatch(texts))
    }

    /// Encodes an already tokenized batch (no tape is recorded).
    public func encode(_ batch: BatchEncoding) -> TextFeatures {
        Tape.withoutRecording {
            let mask = batch.paddingMask
            let hidden = model(batch.ids, batch: batch.batch, length: batch.length, paddingMask: mask)
            let pooled = maskedMean(hidden, paddingMask: mask)
            return TextFeatures(tokenFeatures: hidden, paddingMask: mask, sentenceEmbeddings: l2Normalize(pooled), encoding: batch)
        }
    }
}
