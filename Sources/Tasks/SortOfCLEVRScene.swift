import Imaging

/// The six object colours of Sort-of-CLEVR (Santoro et al. 2017); every scene uses each colour at most once.
public enum SortOfCLEVRColor: String, CaseIterable, Codable, Sendable {
    case red, green, blue, orange, yellow, gray

    /// The colour's pixel value.
    public var rgb: RGB {
        switch self {
        case .red: RGB(255, 0, 0)
        case .green: RGB(0, 255, 0)
        case .blue: RGB(0, 0, 255)
        case .orange: RGB(255, 156, 0)
        case .yellow: RGB(255, 255, 0)
        case .gray: RGB(128, 128, 128)
        }
    }
}

/// The two object shapes.
public enum SortOfCLEVRShape: String, CaseIterable, Codable, Sendable {
    case square, circle
}

/// One object: its colour, shape and centre (x to the right, y downwards, in continuous image coordinates:
/// pixel (i, j) covers [i, i+1) × [j, j+1)).
public struct SortOfCLEVRObject: Equatable, Codable, Sendable {
    public var color: SortOfCLEVRColor
    public var shape: SortOfCLEVRShape
    public var x: Int
    public var y: Int

    public init(color: SortOfCLEVRColor, shape: SortOfCLEVRShape, x: Int, y: Int) {
        self.color = color
        self.shape = shape
        self.x = x
        self.y = y
    }
}

/// A Sort-of-CLEVR scene: objects of side (square) or diameter (circle) `objectSize` on a white square image.
public struct SortOfCLEVRScene: Equatable, Codable, Sendable {
    public var imageSize: Int
    public var objectSize: Int
    public var objects: [SortOfCLEVRObject]

    enum CodingKeys: String, CodingKey {
        case imageSize = "image_size", objectSize = "object_size", objects
    }

    public init(imageSize: Int, objectSize: Int, objects: [SortOfCLEVRObject]) {
        self.imageSize = imageSize
        self.objectSize = objectSize
        self.objects = objects
    }

    /// The object of `color` (every question names one that is in the scene).
    public func object(_ color: SortOfCLEVRColor) -> SortOfCLEVRObject {
        guard let object = objects.first(where: { $0.color == color }) else {
            preconditionFailure("SortOfCLEVRScene: no \(color) object among \(objects.map(\.color))")
        }
        return object
    }

    /// The scene drawn on white: squares cover the `objectSize × objectSize` pixels centred on the object,
    /// circles the pixels whose centres lie within `objectSize / 2` of it.
    public func render() -> RGBImage {
        var image = RGBImage(width: imageSize, height: imageSize, fill: .white)
        let half = objectSize / 2
        for object in objects {
            switch object.shape {
            case .square:
                image.fillRect(x: object.x - half, y: object.y - half, width: objectSize, height: objectSize,
                               color: object.color.rgb)
            case .circle:
                image.fillCircle(centerX: Double(object.x), centerY: Double(object.y), radius: Double(objectSize) / 2,
                                 color: object.color.rgb)
            }
        }
        return image
    }
}
