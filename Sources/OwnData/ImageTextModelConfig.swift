import CrossModal

/// What an `ImageTextModel` is: its task, fusion, encoders and sizes, plus the label list and vocabulary it was
/// trained with. Stored in a model bundle's `bundle.json`, so the model can be rebuilt exactly.
public struct ImageTextModelConfig: Codable, Equatable, Sendable {
    /// What the model predicts.
    public enum Task: String, Codable, CaseIterable, Sendable {
        /// One of a fixed set of labels per (image, text): classification or VQA-style answers.
        case classify
        /// Whether an image and a text belong together: matching and retrieval.
        case match
    }

    /// How the two streams are fused (the `CrossModal` models).
    public enum Fusion: String, Codable, CaseIterable, Sendable {
        /// The field report's reference: one shared cross-attention layer → pooled → classifier.
        case crossAttention = "cross-attention"
        /// A 2-layer ViLBERT-style co-attention stack → pooled → classifier.
        case coAttention = "co-attention"
        /// Pooled regions ‖ pooled text → MLP (no cross-modal attention).
        case concat
        /// The Sort-of-CLEVR paper's CNN+MLP: the flattened region grid (positions kept) ‖ pooled text → MLP.
        case gridMLP = "grid-mlp"
        /// CLIP-style: pooled projections compared by a scaled cosine (matching only).
        case dualEncoder = "dual-encoder"
    }

    /// Where region features come from.
    public enum ImageEncoder: String, Codable, CaseIterable, Sendable {
        /// Pretrained ImageNet EfficientNet-Lite0 at 224 px: 7×7 regions of 1280 features (frozen unless fine-tuned).
        case efficientNetLite0 = "efficientnet-lite0"
        /// The Sort-of-CLEVR paper's small CNN, trained with the model: a grid of regions with coordinates.
        case smallCNN = "small-cnn"
    }

    /// Where token features come from.
    public enum TextEncoder: String, Codable, CaseIterable, Sendable {
        /// Pretrained all-MiniLM-L6-v2: WordPiece tokens, 384 features each (frozen unless fine-tuned).
        case minilm
        /// Frozen all-MiniLM-L6-v2 over each comma-separated clause of a text on its own, the clauses' token
        /// features one after another: for texts made of independent clauses ("a sneaker above a bag, a dress to
        /// the left of a coat"), where any new combination of known clauses costs a lookup, not an encoder run.
        case minilmClauses = "minilm-clauses"
        /// A small Transformer over a word vocabulary built from the training texts, trained with the model.
        case learned
    }

    public var task: Task
    public var fusion: Fusion
    public var imageEncoder: ImageEncoder
    public var textEncoder: TextEncoder
    /// Train through the pretrained encoders instead of caching their features.
    public var finetuneEncoders = false
    /// Fusion (and learned text encoder) width.
    public var width = 64
    /// Attention heads of the cross-attention and co-attention fusions (nil: 8).
    public var heads: Int?
    /// Cross-modal layers (nil: 1 for cross-attention, 2 for co-attention).
    public var layers: Int?
    /// What the cross-attention and co-attention classifiers read (nil: both streams' pooled features).
    public var readout: CrossAttentionFusion.Readout?
    /// Whether the regions also attend to each other with a bias by their distance on the grid
    /// (`RegionSelfAttention`; nil: no): inside every co-attention layer, or once before the cross-attention layer.
    public var regionSelfAttention: Bool?
    /// Whether each co-attention layer after the first biases the text's attention by where it looked in the
    /// layer before (`TextPointerBias`; nil: no).
    public var textPointer: Bool?
    /// Factor on the co-attention text's attention scores over the regions (nil: 1, PyTorch's 1/√(head width)):
    /// a sharper softmax, so the text learns to pick out the named object in fewer steps.
    public var textSharpening: Float?
    /// Weight of the auxiliary classifier's loss (nil: no auxiliary classifier): with the text readout, a second
    /// classifier over both streams' pooled features adds its cross-entropy × this weight to the training loss
    /// (`CrossAttentionFusion.auxiliaryClassifier`); predictions use the main classifier alone.
    public var auxiliaryLossWeight: Float?
    /// Hidden layers of the classifier MLP, each 4 × width (nil: 2 for concat and grid-MLP, 1 for the attention fusions).
    public var mlpLayers: Int?
    /// Side of the square images the small CNN reads (images are resized to it).
    public var imageSize = 75
    /// Most tokens per text (learned: positions of the text encoder; MiniLM: its tokenizer's maximum length).
    public var maxTokens = 64
    /// Class names in logit order (classification).
    public var labels: [String] = []
    /// The learned text encoder's words (`WordVocabulary`), empty for MiniLM.
    public var vocabulary: [String] = []

    public init(task: Task, fusion: Fusion, imageEncoder: ImageEncoder, textEncoder: TextEncoder) {
        (self.task, self.fusion, self.imageEncoder, self.textEncoder) = (task, fusion, imageEncoder, textEncoder)
    }

    enum CodingKeys: String, CodingKey {
        case task, fusion, imageEncoder = "image_encoder", textEncoder = "text_encoder", finetuneEncoders = "finetune_encoders"
        case width, heads, layers, readout, regionSelfAttention = "region_self_attention", textPointer = "text_pointer", textSharpening = "text_sharpening", auxiliaryLossWeight = "auxiliary_loss_weight", mlpLayers = "mlp_layers", imageSize = "image_size", maxTokens = "max_tokens", labels, vocabulary
    }

    /// Throws `ImageTextError.invalidConfig` for combinations that cannot work.
    public func validate() throws {
        if task == .classify && fusion == .dualEncoder {
            throw ImageTextError.invalidConfig(
                "a dual encoder only scores how well an image and a text match, it cannot pick a label; use --task match, "
                    + "or --fusion cross-attention, co-attention or concat for classification")
        }
        if task == .classify && labels.count < 2 {
            throw ImageTextError.invalidConfig("classification needs at least 2 distinct labels in the training manifest, found \(labels.count)")
        }
        let heads = heads ?? 8
        guard heads >= 1, width >= heads, width % heads == 0 else {
            throw ImageTextError.invalidConfig("width must be a positive multiple of the \(heads) attention heads, found \(width)")
        }
        if let layers, layers < 1 { throw ImageTextError.invalidConfig("layers must be at least 1, found \(layers)") }
        if readout != nil && fusion != .crossAttention && fusion != .coAttention {
            throw ImageTextError.invalidConfig(
                "a readout applies to the cross-attention and co-attention fusions only, found it set for \(fusion.rawValue); remove it")
        }
        if regionSelfAttention == true && fusion != .coAttention && fusion != .crossAttention {
            throw ImageTextError.invalidConfig(
                "region self-attention applies to the cross-attention and co-attention fusions only, found it set for \(fusion.rawValue); "
                    + "use --fusion cross-attention or co-attention, or remove it")
        }
        if textPointer == true && fusion != .coAttention {
            throw ImageTextError.invalidConfig(
                "the text pointer is a part of the co-attention layers, found it set for \(fusion.rawValue); use --fusion co-attention or remove it")
        }
        if textPointer == true && (layers ?? 2) < 2 {
            throw ImageTextError.invalidConfig(
                "the text pointer biases each co-attention layer after the first, found \(layers ?? 2) layer; use 2 or more layers or remove it")
        }
        if let textSharpening {
            guard fusion == .coAttention else {
                throw ImageTextError.invalidConfig(
                    "text sharpening is a part of the co-attention layers, found it set for \(fusion.rawValue); use --fusion co-attention or remove it")
            }
            guard textSharpening > 0 && textSharpening.isFinite else {
                throw ImageTextError.invalidConfig("text sharpening must be a positive number (1: none), found \(textSharpening)")
            }
        }
        if let auxiliaryLossWeight {
            guard task == .classify && (fusion == .crossAttention || fusion == .coAttention) && (readout ?? .bothStreams) == .text else {
                throw ImageTextError.invalidConfig(
                    "an auxiliary classifier applies to classification with the cross-attention or co-attention fusion and the text readout, "
                        + "found \(task.rawValue) with \(fusion.rawValue) and the \((readout ?? .bothStreams).rawValue) readout; set --readout text or remove it")
            }
            guard auxiliaryLossWeight > 0 && auxiliaryLossWeight.isFinite else {
                throw ImageTextError.invalidConfig("the auxiliary loss weight must be a positive number, found \(auxiliaryLossWeight)")
            }
        }
        if let mlpLayers, mlpLayers < 0 { throw ImageTextError.invalidConfig("MLP layers must be 0 or more, found \(mlpLayers)") }
        if textEncoder == .minilmClauses && finetuneEncoders {
            throw ImageTextError.invalidConfig("minilm-clauses reads cached features of each clause and cannot be fine-tuned; use --text-encoder minilm to fine-tune MiniLM")
        }
        guard imageSize >= 16 else { throw ImageTextError.invalidConfig("image size must be at least 16, found \(imageSize)") }
        guard maxTokens >= 2 else { throw ImageTextError.invalidConfig("max tokens must be at least 2, found \(maxTokens)") }
        if textEncoder == .learned && vocabulary.count < 3 {
            throw ImageTextError.invalidConfig("the learned text encoder needs a vocabulary ([PAD], [UNK] and the training words)")
        }
    }

    /// Whether the image encoder runs inside the model (trained) rather than as cached features.
    public var imageEncoderInModel: Bool { imageEncoder == .smallCNN || finetuneEncoders }
    /// Whether the text encoder runs inside the model (trained) rather than as cached features.
    public var textEncoderInModel: Bool { textEncoder == .learned || (textEncoder == .minilm && finetuneEncoders) }
}
