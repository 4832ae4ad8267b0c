import Foundation
import NN
import Tensors

/// A BERT encoder (Hugging Face `BertModel`): embeddings, `layerCount` post-LayerNorm Transformer layers and,
/// when the checkpoint has one, the `pooler` (dense + tanh over the first token). State-dict keys are the
/// original ones (`embeddings.word_embeddings.weight`, `encoder.layer.0.attention.self.query.weight`, …).
public final class BertModel: Module {
    public let config: BertConfig
    public let embeddings: BertEmbeddings
    public let layers: [BertLayer]
    /// `pooler.dense`, present when built with `pooler: true`.
    public let pooler: Linear?

    public init(_ config: BertConfig, pooler: Bool = true) {
        self.config = config
        embeddings = BertEmbeddings(config)
        layers = (0..<config.layerCount).map { _ in BertLayer(config) }
        self.pooler = pooler ? Linear(config.hiddenSize, config.hiddenSize) : nil
        super.init()
        register(module: "embeddings", embeddings)
        let encoder = Module(), stack = Module()
        for (i, layer) in layers.enumerated() { stack.register(module: "\(i)", layer) }
        encoder.register(module: "layer", stack)
        register(module: "encoder", encoder)
        if let p = self.pooler {
            let block = Module()
            block.register(module: "dense", p)
            register(module: "pooler", block)
        }
    }

    /// The last hidden state [batch, length, hidden] of `ids` (row-major [batch, length]); `paddingMask`
    /// [batch, length] is true for padding tokens. Padding is removed before the layers (see `PackedLayout`),
    /// so padding positions cost nothing and come out as zero rows.
    public func callAsFunction(_ ids: [Int], batch: Int, length: Int, tokenTypes: [Int]? = nil, paddingMask: Mask? = nil) -> Tensor {
        precondition(ids.count == batch * length, "BertModel: \(ids.count) ids for [\(batch), \(length)]")
        let layout = PackedLayout(paddingMask: paddingMask ?? Mask.padding(lengths: Array(repeating: length, count: batch), maxLength: length))
        var h = embeddings(layout.positions.map { ids[$0] }, positions: layout.positions.map { $0 % length },
                           tokenTypes: tokenTypes.map { types in layout.positions.map { types[$0] } })
        for layer in layers { h = layer(h, layout: layout) }
        return unpack(h, layout)
    }

    /// The pooler output tanh(dense(h[:, 0])) [batch, hidden] of a last hidden state `h` [batch, length, hidden].
    public func pooled(_ hidden: Tensor) -> Tensor {
        guard let pooler else { preconditionFailure("BertModel.pooled: this model was built without a pooler") }
        return tanh(pooler(reshape(slice(hidden, axis: 1, 0..<1), [hidden.shape[0], hidden.shape[2]])))
    }

    /// Loads the model of a Hugging Face directory: `config.json` and `model.safetensors`, strictly (every
    /// checkpoint key must be used and every parameter present, see `load(checkpoint:)`). The model is
    /// frozen (no gradients) and in evaluation mode.
    public static func load(directory: URL) throws -> BertModel {
        let config = try BertConfig(contentsOf: directory.appendingPathComponent("config.json"))
        let url = directory.appendingPathComponent("model.safetensors")
        let state = try checkpointState(url)
        let model = BertModel(config, pooler: state.keys.contains("pooler.dense.weight"))
        try model.loadStateDict(state)
        model.freeze()
        model.eval()
        return model
    }

    /// Loads a safetensors checkpoint into this model strictly; `StateDictError` names every missing,
    /// unexpected and mis-shaped key. See `checkpointState` for the keys handled before matching.
    public func load(checkpoint url: URL) throws {
        try loadStateDict(Self.checkpointState(url))
    }

    /// A checkpoint's tensors keyed as this module's state dict: the `bert.` prefix of task checkpoints
    /// (`BertForSequenceClassification`, …) is removed, and `embeddings.position_ids` (an integer buffer
    /// holding 0, 1, 2, …) is checked and dropped, since positions are computed. Other keys are kept, so
    /// strict loading reports heads or foreign tensors as unexpected.
    public static func checkpointState(_ url: URL) throws -> [String: Tensor] {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw EncoderError.unreadable(path: url.path, reason: "no such file")
        }
        var state: [String: Tensor] = [:]
        for (key, tensor) in try Safetensors.read(url) {
            let name = key.hasPrefix("bert.") ? String(key.dropFirst(5)) : key
            guard state[name] == nil else {
                throw EncoderError.badCheckpoint(path: url.path, reason: "key '\(name)' appears with and without the 'bert.' prefix")
            }
            state[name] = tensor
        }
        if let ids = state.removeValue(forKey: "embeddings.position_ids") {
            let n = ids.shape.last ?? 0
            guard ids.count == n, (0..<n).allSatisfy({ ids.data[$0] == Float($0) }) else {
                throw EncoderError.badCheckpoint(
                    path: url.path, reason: "embeddings.position_ids \(ids.shape) is not 0, 1, 2, …; custom position ids are not supported")
            }
        }
        return state
    }
}
