package dev.junction.source;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The hand-written name rules accept exactly what apimachinery's regular expressions accept. */
class KubeNamesTest {

    private static final String DNS1123_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";

    @Test
    void everyShortNameIsJudgedAsApimachinerysRegularExpressionsJudgeIt() {
        // apimachinery validation.go: dns1123LabelFmt, dns1123SubdomainFmt, dns1035LabelFmt, qualifiedNameFmt,
        // labelValueFmt. Every string of up to 5 characters over an alphabet holding each character class.
        List<String> names = new ArrayList<>();
        names.add("");
        String alphabet = "aZ0-_./";
        for (int start = 0; names.get(start).length() < 5; start++) {
            for (char c : alphabet.toCharArray()) {
                names.add(names.get(start) + c);
            }
        }
        for (String name : names) {
            agree(name, KubeNames::dns1123Label, Pattern.compile(DNS1123_LABEL));
            agree(name, KubeNames::dns1123Subdomain, Pattern.compile(DNS1123_LABEL + "(\\." + DNS1123_LABEL + ")*"));
            agree(name, KubeNames::dns1035Label, Pattern.compile("[a-z]([-a-z0-9]*[a-z0-9])?"));
            agree(name, KubeNames::labelValue, Pattern.compile("(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?"));
            Pattern qualified = Pattern.compile("([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]");
            int slash = name.indexOf('/');
            boolean qualifiedValid = slash == name.lastIndexOf('/')
                    && (slash < 0 || Pattern.compile(DNS1123_LABEL + "(\\." + DNS1123_LABEL + ")*")
                            .matcher(name.substring(0, slash)).matches())
                    && qualified.matcher(name.substring(slash + 1)).matches();
            assertEquals(qualifiedValid, KubeNames.qualifiedName(name).isEmpty(), name);
        }
    }

    @Test
    void aNameOverTheLengthLimitIsRefusedForItsLength() {
        assertEquals(List.of("must be no more than 63 characters"), KubeNames.dns1123Label("a".repeat(64)));
        assertEquals(List.of("prefix part: must be no more than 253 characters"),
                KubeNames.qualifiedName("a".repeat(254) + "/name"));
    }

    private static void agree(String name, Function<String, List<String>> rule, Pattern pattern) {
        assertEquals(pattern.matcher(name).matches(), rule.apply(name).isEmpty(), name);
    }
}
