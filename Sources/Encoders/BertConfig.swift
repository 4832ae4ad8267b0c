import Foundation
import Tensors

/// The architecture of a BERT-style encoder, read from a Hugging Face `config.json`, so any checkpoint of
/// this architecture (other sizes, vocabularies, layer counts) loads.
public struct BertConfig: Equatable, Sendable {
    public var vocabSize: Int
    public var hiddenSize: Int
    public var layerCount: Int
    public var headCount: Int
    public var intermediateSize: Int
    public var maxPositions: Int
    public var typeVocabSize: Int
    public var layerNormEps: Float
    /// The feed-forward activation (`hidden_act`).
    public var activation: Activation

    /// Feed-forward activations BERT checkpoints use.
    public enum Activation: String, Sendable {
        case gelu, geluTanh, relu

        /// Hugging Face `hidden_act` names.
        init?(huggingFace name: String) {
            switch name {
            case "gelu": self = .gelu
            case "gelu_new", "gelu_pytorch_tanh", "gelu_fast": self = .geluTanh
            case "relu": self = .relu
            default: return nil
            }
        }

        func callAsFunction(_ x: Tensor) -> Tensor {
            switch self {
            case .gelu: Tensors.gelu(x)
            case .geluTanh: Tensors.gelu(x, approximate: .tanh)
            case .relu: Tensors.relu(x)
            }
        }
    }

    public init(vocabSize: Int, hiddenSize: Int, layerCount: Int, headCount: Int, intermediateSize: Int,
                maxPositions: Int, typeVocabSize: Int = 2, layerNormEps: Float = 1e-12, activation: Activation = .gelu) {
        precondition(headCount > 0 && hiddenSize % headCount == 0,
                     "BertConfig: hidden size \(hiddenSize) is not a multiple of \(headCount) heads")
        (self.vocabSize, self.hiddenSize, self.layerCount, self.headCount) = (vocabSize, hiddenSize, layerCount, headCount)
        (self.intermediateSize, self.maxPositions, self.typeVocabSize) = (intermediateSize, maxPositions, typeVocabSize)
        (self.layerNormEps, self.activation) = (layerNormEps, activation)
    }

    /// Reads a Hugging Face BERT `config.json`; a missing field, an unsupported activation or position
    /// embedding type, or sizes that do not fit throw `EncoderError.badConfig`.
    public init(contentsOf url: URL) throws {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(contentsOf: url))
        } catch {
            throw EncoderError.unreadable(path: url.path, reason: "not a readable JSON file (\(error.localizedDescription))")
        }
        guard let json = object as? [String: Any] else {
            throw EncoderError.badConfig(path: url.path, reason: "expected a JSON object, found \(type(of: object))")
        }
        func int(_ key: String, default value: Int? = nil) throws -> Int {
            if let n = json[key] as? NSNumber, n.doubleValue == n.doubleValue.rounded(), n.intValue > 0 { return n.intValue }
            if json[key] == nil, let value { return value }
            throw EncoderError.badConfig(path: url.path, reason: "expected a positive integer '\(key)', found \(json[key].map { "\($0)" } ?? "nothing")")
        }
        if let kind = json["model_type"] as? String, kind != "bert" {
            throw EncoderError.badConfig(path: url.path, reason: "model_type '\(kind)' is not a BERT-style encoder (expected \"bert\")")
        }
        if let kind = json["position_embedding_type"] as? String, kind != "absolute" {
            throw EncoderError.badConfig(path: url.path, reason: "position_embedding_type '\(kind)' is not supported (expected \"absolute\")")
        }
        let actName = json["hidden_act"] as? String ?? "gelu"
        guard let activation = Activation(huggingFace: actName) else {
            throw EncoderError.badConfig(path: url.path, reason: "hidden_act '\(actName)' is not supported (expected gelu, gelu_new or relu)")
        }
        let hidden = try int("hidden_size"), heads = try int("num_attention_heads")
        guard hidden % heads == 0 else {
            throw EncoderError.badConfig(path: url.path, reason: "hidden_size \(hidden) is not a multiple of num_attention_heads \(heads)")
        }
        let eps = (json["layer_norm_eps"] as? NSNumber)?.floatValue ?? 1e-12
        self.init(
            vocabSize: try int("vocab_size"), hiddenSize: hidden, layerCount: try int("num_hidden_layers"), headCount: heads,
            intermediateSize: try int("intermediate_size"), maxPositions: try int("max_position_embeddings"),
            typeVocabSize: try int("type_vocab_size", default: 2), layerNormEps: eps, activation: activation)
    }
}
