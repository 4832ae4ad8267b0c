import Tensors

/// Generates Sort-of-CLEVR scenes and their questions (Santoro et al. 2017, appendix): `objectCount` objects
/// in distinct colours, each a square or a circle with equal probability, placed uniformly without overlap
/// (bounding boxes at least `gap` pixels apart, objects inside the image), with `relational` + `nonRelational` distinct questions per
/// image, each question's (type, colour) drawn uniformly without repetition from its group.
public struct SortOfCLEVRGenerator: Sendable {
    public var imageSize = 75
    public var objectSize = 10
    public var objectCount = 6
    public var gap = 1
    public var relational = 10
    public var nonRelational = 10

    public init() {}

    /// Questions per image.
    public var questionsPerImage: Int { relational + nonRelational }

    /// Image `index` of `split` under `seed` with its questions; depends only on these three numbers.
    public func example(seed: UInt64, split: SortOfCLEVR.Split, index: Int) -> (scene: SortOfCLEVRScene, questions: [SortOfCLEVRQuestion]) {
        var random = SortOfCLEVR.random(seed: seed, split: split, image: index)
        let scene = scene(using: &random)
        return (scene, questions(for: scene, using: &random))
    }

    /// A random scene. Scenes where some object's closest or furthest other object is tied in distance are
    /// redrawn, so every relational answer is unambiguous.
    public func scene(using generator: inout RandomGenerator) -> SortOfCLEVRScene {
        precondition(
            (2...SortOfCLEVRColor.allCases.count).contains(objectCount),
            "SortOfCLEVRGenerator: objectCount must be in 2…6, got \(objectCount)")
        let half = objectSize / 2, positions = imageSize - objectSize + 1
        while true {
            let palette = SortOfCLEVRColor.allCases.shuffled(using: &generator)
            var objects: [SortOfCLEVRObject] = []
            var attempts = 0
            while objects.count < objectCount && attempts < 10_000 {
                attempts += 1
                let x = half + generator.int(below: positions), y = half + generator.int(below: positions)
                guard objects.allSatisfy({ max(abs($0.x - x), abs($0.y - y)) >= objectSize + gap }) else { continue }
                let color = palette[objects.count]
                let shape: SortOfCLEVRShape = generator.int(below: 2) == 0 ? .square : .circle
                objects.append(SortOfCLEVRObject(color: color, shape: shape, x: x, y: y))
            }
            let scene = SortOfCLEVRScene(imageSize: imageSize, objectSize: objectSize, objects: objects)
            if objects.count == objectCount && !hasDistanceTies(scene) { return scene }
        }
    }

    /// `relational` and `nonRelational` distinct questions about `scene` (non-relational first).
    public func questions(for scene: SortOfCLEVRScene, using generator: inout RandomGenerator) -> [SortOfCLEVRQuestion] {
        let colors = scene.objects.map(\.color)
        func draw(_ kinds: [QuestionKind], _ count: Int) -> [SortOfCLEVRQuestion] {
            var pairs = kinds.flatMap { kind in colors.map { (kind, $0) } }
            precondition(count <= pairs.count, "SortOfCLEVRGenerator: \(count) distinct questions of \(kinds) need more objects")
            pairs.shuffle(using: &generator)
            return pairs.prefix(count).map { kind, color in
                SortOfCLEVRQuestion(kind: kind, color: color, answer: Self.answer(kind, about: color, in: scene))
            }
        }
        return draw([.shape, .horizontal, .vertical], nonRelational) + draw([.closest, .furthest, .count], relational)
    }

    /// The answer to a question of `kind` about the object of `color`. Left/right and top/bottom compare the
    /// object's centre with the image's centre; distances are between centres.
    public static func answer(_ kind: QuestionKind, about color: SortOfCLEVRColor, in scene: SortOfCLEVRScene) -> SortOfCLEVRAnswer {
        let object = scene.object(color), others = scene.objects.filter { $0.color != color }
        // Twice the coordinates, so the image centre (imageSize / 2) is an integer.
        let center = scene.imageSize
        func distance2(_ o: SortOfCLEVRObject) -> Int { (o.x - object.x) * (o.x - object.x) + (o.y - object.y) * (o.y - object.y) }
        switch kind {
        case .shape: return SortOfCLEVRAnswer(object.shape)
        case .horizontal: return 2 * object.x < center ? .left : .right
        case .vertical: return 2 * object.y < center ? .top : .bottom
        case .closest: return SortOfCLEVRAnswer(others.min { distance2($0) < distance2($1) }!.shape)
        case .furthest: return SortOfCLEVRAnswer(others.max { distance2($0) < distance2($1) }!.shape)
        case .count: return SortOfCLEVRAnswer(count: scene.objects.filter { $0.shape == object.shape }.count)
        }
    }

    private func hasDistanceTies(_ scene: SortOfCLEVRScene) -> Bool {
        guard scene.objects.count > 2 else { return false }
        for a in scene.objects {
            let d = scene.objects.filter { $0.color != a.color }
                .map { ($0.x - a.x) * ($0.x - a.x) + ($0.y - a.y) * ($0.y - a.y) }.sorted()
            if d[0] == d[1] || d[d.count - 1] == d[d.count - 2] { return true }
        }
        return false
    }
}
