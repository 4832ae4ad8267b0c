/// A command failure that is not a usage mistake: printed as "Error: <message>" without the usage text.
struct CommandError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}
