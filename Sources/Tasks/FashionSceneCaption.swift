import Tensors

/// A caption of a Fashion-MNIST scene: clauses relating two named articles by position, e.g.
/// "a sneaker above a bag, a dress to the left of a coat". Articles are Fashion-MNIST labels.
public struct FashionSceneCaption: Hashable, Codable, Sendable {
    /// How the first article of a clause sits relative to the second.
    public enum Relation: String, Codable, CaseIterable, Sendable {
        case above, below
        case leftOf = "to the left of"
        case rightOf = "to the right of"

        /// Whether the relation holds from cell `a` to cell `b` of the 2×2 grid (cells 0…3 row-major).
        public func holds(from a: Int, to b: Int) -> Bool {
            switch self {
            case .above: a / 2 < b / 2
            case .below: a / 2 > b / 2
            case .leftOf: a % 2 < b % 2
            case .rightOf: a % 2 > b % 2
            }
        }
    }

    public struct Clause: Hashable, Codable, Sendable {
        public var first: Int
        public var relation: Relation
        public var second: Int
    }

    public var clauses: [Clause]

    /// The articles the caption names, in order.
    public var articles: [Int] { clauses.flatMap { [$0.first, $0.second] } }

    /// The caption as English text.
    public var text: String {
        clauses.map { "\(Self.phrase($0.first)) \($0.relation.rawValue) \(Self.phrase($0.second))" }.joined(separator: ", ")
    }

    /// "a sneaker", "an ankle boot".
    static func phrase(_ label: Int) -> String {
        let name = FashionMNIST.classNames[label]
        return ("aeiou".contains(name.first!) ? "an " : "a ") + name
    }

    /// A random true caption of a scene with `labels` (the label in each cell of the 2×2 grid): the cells
    /// paired two by two (by rows, by columns or diagonally), each pair in random order with a relation that
    /// holds, clauses in random order. With it, its two hard negatives: one clause's articles swapped (positions
    /// wrong) and one article replaced by a class absent from the scene (items wrong).
    public static func random(for labels: [Int], using g: inout RandomGenerator)
        -> (caption: FashionSceneCaption, swappedPositions: FashionSceneCaption, swappedItems: FashionSceneCaption) {
        let pairings = [[(0, 1), (2, 3)], [(0, 2), (1, 3)], [(0, 3), (1, 2)]]
        var clauses = pairings[g.int(below: 3)].map { pair -> Clause in
            let (a, b) = g.int(below: 2) == 0 ? pair : (pair.1, pair.0)
            let options = Relation.allCases.filter { $0.holds(from: a, to: b) }
            return Clause(first: labels[a], relation: options[g.int(below: options.count)], second: labels[b])
        }
        if g.int(below: 2) == 0 { clauses.swapAt(0, 1) }
        let caption = FashionSceneCaption(clauses: clauses)
        var positions = caption
        let k = g.int(below: 2)
        (positions.clauses[k].first, positions.clauses[k].second) = (positions.clauses[k].second, positions.clauses[k].first)
        var items = caption
        let absent = (0..<10).filter { !labels.contains($0) }
        let replacement = absent[g.int(below: absent.count)], slot = g.int(below: 4)
        if slot % 2 == 0 { items.clauses[slot / 2].first = replacement } else { items.clauses[slot / 2].second = replacement }
        return (caption, positions, items)
    }

    /// Whether every clause is true of `scene` (the label in each cell; a named article must be in the scene).
    public func holds(in scene: [Int]) -> Bool {
        clauses.allSatisfy { c in
            guard let a = scene.firstIndex(of: c.first), let b = scene.firstIndex(of: c.second) else { return false }
            return c.relation.holds(from: a, to: b)
        }
    }
}
