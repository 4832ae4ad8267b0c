import ArgumentParser
import Encoders
import Foundation
import Tensors

/// `crossmodal embed-images`: region and pooled features of images from the pretrained EfficientNet-Lite0,
/// written as safetensors.
struct EmbedImagesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed-images",
        abstract: "Embeds PNG images or an IDX file with EfficientNet-Lite0 and writes safetensors.",
        discussion: """
            Output keys (N images, D = 1280): pooled [N, D] (mean of the last feature map), regions [N, 49, D] \
            (the 7×7 feature map as region tokens, row-major; omit with --no-regions), logits [N, 1000] \
            (ImageNet scores, with --logits). Rows are in input order. Every image is resized to 224×224 \
            (bilinear) and normalized with the ImageNet mean and std. An IDX input (e.g. Fashion-MNIST's \
            t10k-images-idx3-ubyte.gz, gzip'd or not) gives gray images. The checkpoint comes from the cache \
            (`make models`) unless --checkpoint names the .pth file.
            """)

    @Argument(help: "PNG files, or one IDX file of [count, height, width] images.")
    var inputs: [String]

    @Option(name: .shortAndLong, help: "Output safetensors file.")
    var output: String

    @Option(help: "Embed only the first N images.")
    var limit: Int?

    @Option(help: "Images per batch.")
    var batchSize = 16

    @Option(help: "EfficientNet-Lite0 checkpoint (default: the cache's efficientnet-lite0-57934424.pth).")
    var checkpoint: String?

    @Flag(inversion: .prefixedNo, help: "Write the region tokens as well as the pooled features.")
    var regions = true

    @Flag(help: "Write the ImageNet logits too.")
    var logits = false

    func validate() throws {
        guard !inputs.isEmpty else { throw ValidationError("give at least one input file") }
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive, got \(batchSize)") }
        if let limit, limit <= 0 { throw ValidationError("--limit must be positive, got \(limit)") }
    }

    func run() throws {
        let model = try checkpoint.map { try EfficientNetLite0.pretrained(checkpoint: URL(fileURLWithPath: $0)) }
            ?? EfficientNetLite0.pretrained()
        let images = try ImageEmbedding.readImages(inputs.map { URL(fileURLWithPath: $0) }, limit: limit)
        let start = Date()
        var lastReport = Date.distantPast
        let tensors = ImageEmbedding.embed(
            count: images.count, image: { images[$0] }, encoder: model.folded(), batchSize: batchSize,
            regions: regions, logits: logits
        ) { done, total in
            guard done == total || Date().timeIntervalSince(lastReport) > 0.5 else { return }
            lastReport = Date()
            let rate = Double(done) / max(Date().timeIntervalSince(start), 1e-9)
            FileHandle.standardError.write(Data(String(format: "\rembedded %d/%d images (%.1f images/s)", done, total, rate).utf8))
            if done == total { FileHandle.standardError.write(Data("\n".utf8)) }
        }
        let metadata = ["model": "efficientnet-lite0", "count": "\(images.count)", "image_size": "224",
                        "inputs": inputs.count == 1 ? inputs[0] : "\(inputs.count) PNG files"]
        try Safetensors.write(tensors, to: URL(fileURLWithPath: output), metadata: metadata)
        print("wrote features of \(images.count) images to \(output)")
    }
}
