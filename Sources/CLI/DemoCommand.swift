import ArgumentParser

/// `crossmodal demo`: the main job on built-in defaults.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo", abstract: "Trains a small model on generated data and prints the falling loss.")

    func run() {
        print("demo: not yet")
    }
}
