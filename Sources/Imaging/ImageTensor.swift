import Tensors

extension RGBImage {
    /// The image as a Float tensor [3, height, width] (channels red, green, blue) with values in 0…1
    /// (byte / 255, as torchvision's `ToTensor`).
    public func tensor() -> Tensor {
        let out = Tensor(uninitialized: [3, height, width])
        write(into: out.mutableData)
        return out
    }

    /// A batch of equally sized images as a Float tensor [count, 3, height, width] in 0…1.
    public static func batchTensor(_ images: [RGBImage]) -> Tensor {
        precondition(!images.isEmpty, "RGBImage.batchTensor: no images")
        let w = images[0].width, h = images[0].height
        precondition(
            images.allSatisfy { $0.width == w && $0.height == h },
            "RGBImage.batchTensor: images differ in size (first is \(w)×\(h))")
        let out = Tensor(uninitialized: [images.count, 3, h, w])
        for (i, image) in images.enumerated() { image.write(into: out.mutableData + i * 3 * h * w) }
        return out
    }

    /// Writes the planar [3, height, width] 0…1 floats of the image to `destination`.
    public func write(into destination: UnsafeMutablePointer<Float>) {
        let plane = width * height
        pixels.withUnsafeBufferPointer { p in
            for i in 0..<plane {
                destination[i] = Float(p[3 * i]) / 255
                destination[plane + i] = Float(p[3 * i + 1]) / 255
                destination[2 * plane + i] = Float(p[3 * i + 2]) / 255
            }
        }
    }
}
