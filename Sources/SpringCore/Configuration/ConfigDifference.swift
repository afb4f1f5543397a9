/// What differs between two CONFIG-DATA files, by setting name where one covers the change and
/// by register otherwise, then by section for the parts kept verbatim.
public enum ConfigDifference {
    public static func lines(from old: ConfigData, to new: ConfigData) -> [String] {
        var lines: [String] = []
        for register in Set(old.registers.keys).union(new.registers.keys).sorted() where old[register] != new[register] {
            let settings = NamedSetting.all.filter { $0.register == register }
            if let secret = settings.first(where: \.secret) {
                let change = old[register] == nil ? "added" : new[register] == nil ? "removed" : "changed"
                lines.append("\(register) \(secret.name): \(change) (not shown: it is a secret)")
                continue
            }
            let named = settings.filter { $0.value(in: old) != $0.value(in: new) }
            if named.isEmpty || old[register] == nil || new[register] == nil {
                lines.append(
                    "\(register) \(shown(old[register])) -> \(shown(new[register]))"
                        + (RegisterLayout.isEmulated(register) ? "" : " (not emulated)"))
            } else {
                for setting in named {
                    lines.append("\(register) \(setting.name): \(setting.value(in: old)) -> \(setting.value(in: new))")
                }
            }
        }
        for section in Set(old.otherSections.keys).union(new.otherSections.keys).sorted()
        where old.otherSections[section] != new.otherSections[section] {
            let change = old.otherSections[section] == nil ? "added" : new.otherSections[section] == nil ? "removed" : "changed"
            lines.append("section \(section) \(change) (not emulated)")
        }
        return lines
    }

    private static func shown(_ bytes: [UInt8]?) -> String {
        guard let bytes else { return "(absent)" }
        return bytes.isEmpty ? "(blank)" : Hex.encode(bytes)
    }
}
