# Junction image: built with Maven from the repository's files, run on Temurin's 25 JRE (Ubuntu noble, glibc)
# with iproute2 (route capture runs `ip -batch`) and iptables/nftables (to see kube-proxy's rules still
# present). Not built in CI (no Docker engine there); deploy/ImageTest keeps it in step with the code.
# Base images are pinned by digest, the tag only says what it was; refresh both digests together with
# `docker buildx imagetools inspect <tag>`.

FROM maven:3.9-eclipse-temurin-25@sha256:93b8a14ea2f412782e4e842651273b4d903e35cc496284f178fbbe2d67d00976 AS build
WORKDIR /src
COPY pom.xml LICENSE ./
RUN mvn -B -q dependency:go-offline
COPY src ./src
RUN mvn -B -q package -DskipTests

FROM eclipse-temurin:25-jre-noble@sha256:b573af9e331196fbc42e246da4df24df9b6c556c73e7efddfde0511f1c9508c5
RUN apt-get update \
    && apt-get install -y --no-install-recommends iproute2 iptables nftables \
    && rm -rf /var/lib/apt/lists/*
COPY LICENSE /opt/junction/LICENSE
COPY bin/junction bin/junction-training /opt/junction/bin/
COPY --from=build /src/target/junction.jar /opt/junction/junction.jar
# Explicit GC and memory: with fewer than 2 visible CPUs the JVM would pick SerialGC, and heap plus Netty's
# pooled direct buffers must stay under the container's memory limit (768Mi in deploy/daemonset.yaml).
# Set JUNCTION_JAVA_OPTS in the pod to replace them all.
ENV JUNCTION_JAR=/opt/junction/junction.jar \
    JUNCTION_JAVA_OPTS="-XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Xms128m -Xmx384m -XX:MaxDirectMemorySize=256m -XX:+ExitOnOutOfMemoryError"
# JDK 25's AOT cache (JEP 483/514/515: classes loaded and linked, method profiles) from a training run on this
# very JRE, jar and flags: `junction demo` plus 1,000 Services from manifests and 2,000 forwarded requests,
# bounded by the script. bin/junction passes -XX:AOTCache=/opt/junction/junction.aot when the file is there
# (JUNCTION_AOT_CACHE="" in the pod turns it off); a JVM that cannot use it (other flags) warns and starts without it.
RUN JUNCTION_JAVA_OPTS="$JUNCTION_JAVA_OPTS -XX:AOTCacheOutput=/opt/junction/junction.aot" \
        /opt/junction/bin/junction-training \
    && test -s /opt/junction/junction.aot
ENTRYPOINT ["/opt/junction/bin/junction"]
CMD ["run"]
