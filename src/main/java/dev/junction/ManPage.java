package dev.junction;

import java.util.List;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The {@code junction(1)} man page in troff, written from the picocli definition (every command and option with its
 * description), so it never drifts from {@code --help}. Pure function; any thread.
 */
final class ManPage {

    private ManPage() {
    }

    static String troff(CommandLine root, String version) {
        CommandSpec spec = root.getCommandSpec();
        String name = spec.name();
        StringBuilder out = new StringBuilder();
        out.append(".TH ").append(name.toUpperCase(Locale.ROOT)).append(" 1 \"\" \"").append(escape(name + " " + version))
                .append("\" \"User Commands\"\n");
        out.append(".SH NAME\n").append(name).append(" \\- ").append(escape(text(spec.usageMessage().description())))
                .append('\n');
        out.append(".SH SYNOPSIS\n.B ").append(name).append("\n[\\fICOMMAND\\fR] [\\fIOPTIONS\\fR]\n");
        out.append(".SH DESCRIPTION\nWith no command, ").append(name).append(" runs the proxy, as \\fB")
                .append(name).append(" run\\fR does.\n");
        out.append(".SH COMMANDS\n");
        for (CommandLine sub : root.getSubcommands().values()) {
            out.append(".TP\n.B ").append(name).append(' ').append(sub.getCommandName()).append('\n')
                    .append(escape(text(sub.getCommandSpec().usageMessage().description()))).append('\n');
        }
        for (CommandLine sub : root.getSubcommands().values()) {
            out.append(".SH \"").append((name + " " + sub.getCommandName()).toUpperCase(Locale.ROOT))
                    .append(" OPTIONS\"\n");
            options(out, sub.getCommandSpec().options());
        }
        out.append(".SH SEE ALSO\n\\fBjunction routes\\fR shows a running proxy's table; "
                + "\\fBjunction completion\\fR prints the shell completion script.\n");
        return out.toString();
    }

    private static void options(StringBuilder out, List<OptionSpec> options) {
        for (OptionSpec o : options) {
            if (o.hidden()) {
                continue;
            }
            out.append(".TP\n");
            List<String> names = List.of(o.names());
            for (int i = 0; i < names.size(); i++) {
                out.append(i == 0 ? "" : ", ").append("\\fB").append(escape(names.get(i))).append("\\fR");
            }
            if (o.arity().max() > 0) {
                out.append("=\\fI").append(escape(o.paramLabel())).append("\\fR");
            }
            out.append('\n').append(escape(text(o.description()))).append('\n');
        }
    }

    private static String text(String[] lines) {
        return String.join(" ", lines).replace("%n", " ").replace("%%", "%");
    }

    /** troff: a backslash prints as \e, a hyphen as \-, and a line may not start with a control character. */
    private static String escape(String s) {
        String escaped = s.replace("\\", "\\e").replace("-", "\\-");
        return escaped.startsWith(".") || escaped.startsWith("'") ? "\\&" + escaped : escaped;
    }
}
