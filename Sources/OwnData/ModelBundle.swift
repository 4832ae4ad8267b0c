import Foundation
import NN
import Tensors
import Training

/// A trained own-data model on disk: a run directory holding `bundle.json` (this struct: the model config with
/// its label list and vocabulary, the training config, the data it was trained on, the tokenizer it reads
/// with) and `model.safetensors` (the weights, PyTorch-style keys). `ModelBundle.load` rebuilds the model from
/// them; the pretrained encoders it refers to come from the model cache.
public struct ModelBundle: Codable, Equatable, Sendable {
    public static let currentFormat = "crossmodal-bundle-1"
    public static let file = "bundle.json", weightsFile = "model.safetensors"

    public var format = Self.currentFormat
    public var model: ImageTextModelConfig
    public var training: TrainingConfig
    /// Examples per image per classification step.
    public var textsPerImage: Int
    /// The training manifest's path and content key (`FeatureCache.key`), and the validation manifest's path.
    public var trainManifest: String
    public var trainManifestKey: String
    public var valManifest: String?
    /// The tokenizer the text side reads with: "all-MiniLM-L6-v2 WordPiece" (from the model cache) or the
    /// learned word vocabulary stored in `model.vocabulary`.
    public var tokenizer: String

    public init(model: ImageTextModelConfig, training: TrainingConfig, textsPerImage: Int, trainManifest: String,
                trainManifestKey: String, valManifest: String?) {
        (self.model, self.training, self.textsPerImage) = (model, training, textsPerImage)
        (self.trainManifest, self.trainManifestKey, self.valManifest) = (trainManifest, trainManifestKey, valManifest)
        tokenizer = model.textEncoder != .learned
            ? "all-MiniLM-L6-v2 WordPiece (model cache), at most \(model.maxTokens) tokens\(model.textEncoder == .minilmClauses ? " per clause" : "")"
            : "word vocabulary of \(model.vocabulary.count) entries (model.vocabulary)"
    }

    enum CodingKeys: String, CodingKey {
        case format, model, training, textsPerImage = "texts_per_image", trainManifest = "train_manifest"
        case trainManifestKey = "train_manifest_key", valManifest = "val_manifest", tokenizer
    }

    /// Reads `directory/bundle.json`; throws `ImageTextError.invalidBundle` saying what is wrong.
    public static func read(_ directory: URL) throws -> ModelBundle {
        let url = directory.appendingPathComponent(file)
        guard let data = try? Data(contentsOf: url) else {
            throw ImageTextError.invalidBundle(path: directory.path, reason: "no readable \(file)")
        }
        let bundle: ModelBundle
        do {
            bundle = try JSONDecoder().decode(ModelBundle.self, from: data)
        } catch {
            throw ImageTextError.invalidBundle(path: directory.path, reason: "\(file) does not parse: \(error)")
        }
        guard bundle.format == currentFormat else {
            throw ImageTextError.invalidBundle(path: directory.path, reason: "format \(bundle.format), this version reads \(currentFormat)")
        }
        return bundle
    }

    /// Writes `directory/bundle.json` atomically.
    public func write(to directory: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(self).write(to: directory.appendingPathComponent(Self.file), options: .atomic)
    }

    /// The bundle's model with its trained weights, in eval mode. Pretrained encoders that a fine-tuned model
    /// trained through are rebuilt from the model cache's configs and then overwritten by the bundle's weights.
    public static func load(_ directory: URL) throws -> (bundle: ModelBundle, model: ImageTextModel) {
        let bundle = try read(directory)
        let weights = directory.appendingPathComponent(weightsFile)
        guard FileManager.default.fileExists(atPath: weights.path) else {
            throw ImageTextError.invalidBundle(path: directory.path, reason: "no \(weightsFile): the run has not finished; continue it with "
                                               + "`crossmodal train … --out \(directory.path) --resume`")
        }
        let model = try ImageTextModel(config: bundle.model, bert: bundle.model.finetuneEncoders && bundle.model.textEncoder == .minilm
                                       ? try PretrainedEncoders.bert() : nil)
        do {
            try model.loadStateDict(Safetensors.read(weights))
        } catch {
            throw ImageTextError.invalidBundle(path: directory.path, reason: "\(weightsFile) does not fit bundle.json's model: \(error)")
        }
        model.eval()
        return (bundle, model)
    }

    /// Writes the model's weights as `directory/model.safetensors` (atomically), with the bundle format in the metadata.
    public static func writeWeights(_ model: ImageTextModel, to directory: URL) throws {
        try Safetensors.write(model.stateDict(), to: directory.appendingPathComponent(weightsFile), metadata: ["format": currentFormat])
    }
}
