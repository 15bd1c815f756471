import java.net.BindException;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

/**
 * DynamoDB Local listening on 127.0.0.1 only. Its own main binds every interface and has no option
 * for the address, so this sets the Jetty connector's host before starting it (run as a Java source
 * file with DynamoDBLocal.jar on the class path; the arguments are DynamoDB Local's own).
 *
 * It prints "ready on 127.0.0.1:<port>" once it answers, so the caller knows the server on the port
 * is this one (and which port "-port 0" got), and exits 10 when the port is taken, whoever holds it.
 */
public class LoopbackDynamoDbLocal {
  public static void main(String[] args) throws Exception {
    // "-port 0" asks for a port the kernel picks as it binds (no race with another process for a
    // port found free earlier). DynamoDB Local's own parser refuses 0 (and 1), so it is given 8000,
    // never bound: the connector is set to 0 before it binds.
    boolean anyPort = false;
    for (int i = 0; i + 1 < args.length; i++) {
      if (args[i].equals("-port") && args[i + 1].equals("0")) {
        args[i + 1] = "8000";
        anyPort = true;
      }
    }
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    var field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server server = (Server) field.get(proxy);
    for (var connector : server.getConnectors()) {
      ((ServerConnector) connector).setHost("127.0.0.1");
      if (anyPort) ((ServerConnector) connector).setPort(0);
    }
    try {
      proxy.start();
    } catch (Exception error) {
      for (Throwable cause = error; cause != null; cause = cause.getCause()) {
        if (cause instanceof BindException) {
          System.err.println("port in use: " + cause.getMessage());
          System.exit(10);
        }
      }
      throw error;
    }
    // DynamoDB Local reports some start failures on stderr and returns instead of throwing.
    if (!server.isStarted()) System.exit(11);
    System.out.println("ready on 127.0.0.1:" + ((ServerConnector) server.getConnectors()[0]).getLocalPort());
  }
}
