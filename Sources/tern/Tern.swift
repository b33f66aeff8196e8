import ArgumentParser

@main
struct Tern: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Tern: a self-hosted AI API server.")
}
