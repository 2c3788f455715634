/// Every verb the server speaks, in the order `HELP` lists them.
public enum CommandCatalog {
    static func table() -> CommandTable {
        let box = HelpBox()
        let table = CommandTable(BasicCommands.all(help: { box.commands }) + GraphCommands.all + NamingCommands.all + WorkflowCommands.all + MonitoringCommands.all + ReminderCommands.all + ContactCommands.all + BatchCommands.all + AccessCommands.all)
        box.commands = table.commands
        return table
    }
}

/// Lets `HELP` list the table it belongs to (set once, before the server starts).
private final class HelpBox: @unchecked Sendable {
    var commands: [Command] = []
}
