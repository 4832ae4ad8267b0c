/// The six question types: three non-relational (about the named object alone) and three relational (about
/// the named object and the others).
public enum QuestionKind: String, CaseIterable, Codable, Sendable {
    /// "What is the shape of the ⟨colour⟩ object?" → square / circle.
    case shape
    /// "Is the ⟨colour⟩ object on the left or right of the image?" → left / right.
    case horizontal
    /// "Is the ⟨colour⟩ object on the top or bottom of the image?" → top / bottom.
    case vertical
    /// "What is the shape of the object that is closest to the ⟨colour⟩ object?" → square / circle.
    case closest
    /// "What is the shape of the object that is furthest from the ⟨colour⟩ object?" → square / circle.
    case furthest
    /// "How many objects have the same shape as the ⟨colour⟩ object?" (itself included) → 1 … 6.
    case count

    /// Whether answering needs the other objects (closest, furthest, count).
    public var isRelational: Bool {
        switch self {
        case .shape, .horizontal, .vertical: false
        case .closest, .furthest, .count: true
        }
    }

    /// The question asked about the object of `color`.
    public func text(color: SortOfCLEVRColor) -> String {
        let c = color.rawValue
        switch self {
        case .shape: return "What is the shape of the \(c) object?"
        case .horizontal: return "Is the \(c) object on the left or right of the image?"
        case .vertical: return "Is the \(c) object on the top or bottom of the image?"
        case .closest: return "What is the shape of the object that is closest to the \(c) object?"
        case .furthest: return "What is the shape of the object that is furthest from the \(c) object?"
        case .count: return "How many objects have the same shape as the \(c) object?"
        }
    }
}

/// The fixed answer vocabulary shared by every question type (12 classes; `rawValue` is the class index).
public enum SortOfCLEVRAnswer: Int, CaseIterable, Codable, Sendable, CustomStringConvertible {
    case square, circle, left, right, top, bottom, one, two, three, four, five, six

    /// The answer as written in files ("square", …, "1" … "6").
    public var description: String {
        switch self {
        case .square: "square"
        case .circle: "circle"
        case .left: "left"
        case .right: "right"
        case .top: "top"
        case .bottom: "bottom"
        default: String(rawValue - SortOfCLEVRAnswer.one.rawValue + 1)
        }
    }

    /// The answer written as `text` (its `description`), or nil.
    public init?(text: String) {
        guard let answer = Self.allCases.first(where: { $0.description == text }) else { return nil }
        self = answer
    }

    /// The answer for a shape.
    public init(_ shape: SortOfCLEVRShape) { self = shape == .square ? .square : .circle }

    /// The answer for a count in 1…6.
    public init(count: Int) {
        precondition((1...6).contains(count), "SortOfCLEVRAnswer: count must be in 1…6, got \(count)")
        self = Self(rawValue: Self.one.rawValue + count - 1)!
    }
}

/// One question about a scene: its type, the object it names, its text and its answer.
public struct SortOfCLEVRQuestion: Equatable, Sendable {
    public var kind: QuestionKind
    public var color: SortOfCLEVRColor
    public var answer: SortOfCLEVRAnswer

    public init(kind: QuestionKind, color: SortOfCLEVRColor, answer: SortOfCLEVRAnswer) {
        self.kind = kind
        self.color = color
        self.answer = answer
    }

    /// The natural-language question.
    public var text: String { kind.text(color: color) }
}
