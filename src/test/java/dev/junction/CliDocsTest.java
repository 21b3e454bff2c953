package dev.junction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.junction.config.ProxyOptions;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The completion script and the man page, both written from the picocli definition, work and cover it all. */
class CliDocsTest {

    @TempDir
    Path dir;

    private static String print(String command) {
        StringWriter out = new StringWriter();
        assertEquals(0, Main.execute(new PrintWriter(out, true), new PrintWriter(new StringWriter(), true), command));
        return out.toString();
    }

    /** What bash offers after each line, by calling the script's completion function as bash would. */
    @Test
    void completionOffersSubcommandsOptionsAndTheirValues() throws Exception {
        Path script = Files.writeString(dir.resolve("junction.bash"), print("completion"));
        String complete = """
                source "$1"
                c() {
                  COMP_LINE="$1"; COMP_WORDS=($1); [ "${1: -1}" = " " ] && COMP_WORDS+=("")
                  COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMP_POINT=${#COMP_LINE}; COMPREPLY=()
                  _complete_junction junction "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
                  echo "${COMPREPLY[*]}"
                }
                c "junction ro"; c "junction routes -o "; c "junction run --tra"; c "junction run --capture "
                """;
        Process bash = new ProcessBuilder("bash", "-c", complete, "bash", script.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(bash.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(bash.waitFor(30, TimeUnit.SECONDS));
        List<String> lines = out.lines().toList();
        assertEquals("routes", lines.get(0));
        assertEquals("table json", lines.get(1));
        assertEquals("--transport", lines.get(2));
        assertEquals("none route", lines.get(3));
        assertEquals(4, lines.size(), out);
    }

    /** Every value the script offers for an option is one the real CLI parses for it (not IO_URING for io_uring). */
    @Test
    void everyOfferedValueParses() {
        Matcher values = Pattern.compile("local \\w+_option_args=\\((.*)\\) # (--\\S+) values").matcher(print("completion"));
        int offered = 0;
        while (values.find()) {
            for (String quoted : values.group(1).split(" ")) {
                String value = quoted.replaceAll("^\"|\"$", "");
                if (value.isEmpty()) {
                    continue;
                }
                offered++;
                String arg = values.group(2) + "=" + value;
                assertTrue(Stream.of("run", "routes").anyMatch(command -> parses(command, arg)), arg);
            }
        }
        assertTrue(offered >= 12, "transport, lb, log level and format, capture and output values: " + offered);
    }

    private static boolean parses(String command, String arg) {
        try {
            ProxyOptions.withConverters(new CommandLine(new Main())).parseArgs(command, arg);
            return true;
        } catch (CommandLine.ParameterException e) {
            return false;
        }
    }

    @Test
    void manPageDescribesEveryCommandAndOption() {
        String man = print("man");
        CommandLine root = ProxyOptions.withConverters(new CommandLine(new Main()));
        for (CommandLine sub : root.getSubcommands().values()) {
            assertTrue(man.contains(".B junction " + sub.getCommandName() + "\n"), sub.getCommandName());
            for (CommandLine.Model.OptionSpec o : sub.getCommandSpec().options()) {
                assertTrue(man.contains("\\fB" + o.longestName().replace("-", "\\-") + "\\fR"),
                        sub.getCommandName() + " " + o.longestName());
            }
        }
    }

    /** groff, where installed, reads the page without a single warning (-ww: all of them). */
    @Test
    void manPageIsValidTroff() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/groff")), "groff is not installed");
        Path page = Files.writeString(dir.resolve("junction.1"), print("man"));
        Process groff = new ProcessBuilder("groff", "-man", "-Tutf8", "-ww", "-z", page.toString())
                .redirectErrorStream(true).start();
        String out = new String(groff.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(groff.waitFor(30, TimeUnit.SECONDS));
        assertEquals("", out);
        assertEquals(0, groff.exitValue());
    }
}
